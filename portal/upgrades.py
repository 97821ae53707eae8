"""Readiness during rolling upgrades: which database schemas this code can serve.

``/readyz`` is what a load balancer uses to send traffic to an instance. Demanding that the
database's migration revision equal the code's head takes every old instance out of service the
moment the new release's migrations run, before the new instances are up: downtime. Instead:

- the database is at this code's head → ready;
- the database is at an older revision this code knows → ``migrations_pending`` (not ready: the code
  may read columns that do not exist yet);
- the database is at a revision this code does not know (a later release migrated it) → ready, unless
  a contract migration recorded in ``schema_requirements`` that it needs code at least at a revision
  this code does not have → ``code_too_old``.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import text

from kernel.extensions import db


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every revision of the migrations shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from portal.app import _migrations_dir

    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    return frozenset(script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions())


def schema_status(database_revision: str | None, head: str) -> tuple[str, bool]:
    """(status, ready) of this code against the database's revision; queries only for a newer schema."""
    if database_revision == head:
        return "ok", True
    known = known_revisions()
    if database_revision is None or database_revision in known:
        return "migrations_pending", False
    rows = db.session.execute(text("SELECT revision, oldest_code_revision FROM schema_requirements")).all()
    if any(row.oldest_code_revision not in known for row in rows):
        return "code_too_old", False
    return "ok", True
