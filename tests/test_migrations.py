"""Migrations: one head, up from an empty database and all the way down again."""
from __future__ import annotations

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from portal.app import _migrations_dir

pytestmark = pytest.mark.no_rollback


def test_single_head() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


def test_up_from_empty_and_down_again(cluster) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from kernel.extensions import db
    from portal.app import create_app
    from tests.conftest import BASE_CONFIG

    urls = cluster.create_empty("migr")
    app = create_app({**BASE_CONFIG, **urls})
    owner = create_engine(normalise_url(urls["DATABASE_OWNER_URL"]), poolclass=NullPool)
    try:
        with app.app_context():
            upgrade()
            with owner.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname='public'")) > 5
            downgrade(revision="base")
            with owner.connect() as conn:
                left = list(conn.scalars(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")))
                assert left == []
            upgrade()  # and up again: downgrades leave nothing behind that breaks a re-run
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    finally:
        owner.dispose()
        cluster.drop("migr")
