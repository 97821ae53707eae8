"""Backups restore on the operator's own PostgreSQL (issue 24.1): Debian's PostgreSQL 15 beside the
embedded 18, tools of the server's major version, 0600 files, age encryption, the disaster-recovery
runbook of docs/operations.md walked step by step on a fresh server, up to the first login."""
from __future__ import annotations

import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from kernel.db_admin import ensure_roles_and_database
from kernel.extensions import db
from portal.app import create_app
from portal.backup import BackupError, backup, pg_tool, restore
from tests.conftest import BASE_CONFIG, login
from tests.ops.pgcluster import PG15_BIN, LocalCluster, embedded_bin

pytestmark = [pytest.mark.no_rollback,
              pytest.mark.skipif(not (PG15_BIN / "initdb").exists(), reason="bootstrap.sh --browser installs it")]

OWNER, APP_ROLE, BACKUP_ROLE, DATABASE = "yokoten_owner", "yokoten_app", "yokoten_backup", "yokoten"


def _settings(cluster: LocalCluster, database: str = DATABASE) -> dict[str, str]:
    return {"SQLALCHEMY_DATABASE_URI": cluster.url(APP_ROLE, database),
            "DATABASE_OWNER_URL": cluster.url(OWNER, database)}


def _dispose(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(scope="module")
def pg15() -> Iterator[LocalCluster]:
    """PostgreSQL 15 with the portal's schema, tenants and demo data, as an operator would set it up."""
    from flask_migrate import upgrade

    from devtools.cli import load_all_demo
    from portal.backup import create_backup_role

    server = LocalCluster(PG15_BIN).init().start()
    try:
        ensure_roles_and_database(server.admin_url, OWNER, APP_ROLE, DATABASE)
        create_backup_role(server.admin_url, BACKUP_ROLE)
        app = create_app({**BASE_CONFIG, **_settings(server)})
        with app.app_context():
            upgrade()
            load_all_demo()
        _dispose(app)
        yield server
    finally:
        server.remove()


def test_tools_match_the_servers_major_version_or_are_refused_clearly(pg15) -> None:  # type: ignore[no-untyped-def]
    assert pg_tool("pg_dump", 15) == str(PG15_BIN / "pg_dump")
    assert pg_tool("pg_restore", 18) == str(embedded_bin() / "pg_restore")
    with pytest.raises(BackupError, match=r"PostgreSQL 11, but no pg_dump 11 was found .*postgresql-client-11"):
        pg_tool("pg_dump", 11)


def test_disaster_recovery_runbook_on_postgresql_15(pg15, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # -- the nightly backup on the production server (encrypted to the operators' age key) -------------
    key = tmp_path / "operators.agekey"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = next(line.split(": ")[1] for line in key.read_text().splitlines() if "public key" in line)
    backups = tmp_path / "backups"
    monkeypatch.setenv("BACKUP_DIR", str(backups))
    monkeypatch.setenv("DATABASE_BACKUP_URL", pg15.url(BACKUP_ROLE, DATABASE))
    production = create_app({**BASE_CONFIG, **_settings(pg15)})
    out = production.test_cli_runner().invoke(args=["ops", "backup", "--encrypt-to", recipient])
    assert out.exit_code == 0, out.output
    dump = next(backups.glob("yokoten-*.dump.age"))
    manifest = Path(str(dump) + ".manifest.json")
    assert f"backup written: {dump} (" in out.output and "PostgreSQL 15" in out.output
    assert f"roles to recreate before a restore: {APP_ROLE}" in out.output and "SSO_SECRET_KEY" in out.output
    assert "cases" in out.output and "encrypted for: age1" in out.output
    for path in (dump, manifest):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert dump.read_bytes().startswith(b"age-encryption.org/v1")  # no plaintext dump on disk
    assert not list(backups.glob("*.part"))
    _dispose(production)
    monkeypatch.setenv("BACKUP_DIR", "relative/dir")
    refused = production.test_cli_runner().invoke(args=["ops", "backup"])
    assert refused.exit_code == 1 and "must be an absolute path" in refused.output

    # -- disaster: a new server with the same major version, nothing on it --------------------------
    recovery = LocalCluster(PG15_BIN).init().start()
    try:
        tools = create_app({**BASE_CONFIG, **_settings(recovery)})
        cli = tools.test_cli_runner()
        # step 2: the roles (named in the manifest) and an empty database; the backup role
        out = cli.invoke(args=["ops", "create-roles", "--admin-url", recovery.admin_url, "--owner", OWNER,
                               "--app-role", APP_ROLE, "--database", DATABASE])
        assert out.exit_code == 0, out.output
        out = cli.invoke(args=["ops", "create-backup-role", "--admin-url", recovery.admin_url, "--role", BACKUP_ROLE])
        assert out.exit_code == 0, out.output
        monkeypatch.setenv("DATABASE_BACKUP_URL", recovery.url(BACKUP_ROLE, DATABASE))
        # step 3: restore — refused without the key, then with it, verified against the manifest
        target = recovery.url(OWNER, DATABASE)
        out = cli.invoke(args=["ops", "restore", str(dump), "--target", target])
        assert out.exit_code == 1 and "encrypted with age" in out.output
        assert recovery.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", DATABASE) == [(0,)]
        out = cli.invoke(args=["ops", "restore", str(dump), "--target", target, "--identity", str(key)])
        assert out.exit_code == 0, out.output
        assert "verified" in out.output
        # step 4: the application role is safe, readiness is green, a person logs in and sees their data
        out = cli.invoke(args=["ops", "check-role"])
        assert out.exit_code == 0 and "is safe" in out.output, out.output
        client = tools.test_client()
        assert client.get("/readyz").json["status"] == "ok"
        login(client, "member")
        page = client.get("/cases")
        assert page.status_code == 200
        with psycopg2.connect(pg15.url(BACKUP_ROLE, DATABASE)) as conn, conn.cursor() as cur:
            cur.execute("SELECT title FROM cases WHERE tenant_id = '132055' ORDER BY id LIMIT 1")
            title = cur.fetchone()[0]
        assert title in page.get_data(as_text=True)
        _dispose(tools)
    finally:
        recovery.remove()


def test_a_postgresql_18_backup_is_refused_on_postgresql_15(pg15, scratch, reader_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The failure of the issue: an 18 dump cannot be read by 15's pg_restore — refused before any change."""
    source = scratch("bkp18")
    dump = tmp_path / "from18.dump"
    assert backup(reader_url(source["db"]), dump).manifest["pg_dump_major"] == 18
    ensure_roles_and_database(pg15.admin_url, OWNER, APP_ROLE, "restore18")
    with pytest.raises(BackupError, match="written by pg_dump 18; the target server runs PostgreSQL 15"):
        restore(dump, pg15.url(OWNER, "restore18"), None)
    assert pg15.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "restore18") == [(0,)]


def test_missing_roles_are_named_before_anything_is_restored(pg15, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "pg15.dump"
    result = backup(pg15.url(BACKUP_ROLE, DATABASE), dump)
    assert result.manifest["roles"] == [APP_ROLE] and result.manifest["pg_dump_major"] == 15
    pg15.sql('CREATE DATABASE "noroles"')
    pg15.sql(f'ALTER ROLE "{APP_ROLE}" RENAME TO "renamed_app"')
    try:
        with pytest.raises(BackupError, match=f"lacks the role\\(s\\) {APP_ROLE}"):
            restore(dump, pg15.url("postgres", "noroles"), None)
    finally:
        pg15.sql(f'ALTER ROLE "renamed_app" RENAME TO "{APP_ROLE}"')
    # a damaged file is refused by its checksum
    with dump.open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00damaged\x00")
    with pytest.raises(BackupError, match="does not match the checksum"):
        restore(dump, pg15.url("postgres", "noroles"), None)
