"""Backup and restore round trip: every table's rows and checksum, RLS flags, policies and head."""
from __future__ import annotations

import json

import psycopg2
import pytest

from devtools.generate import generate_all
from portal.backup import BackupError, backup, fingerprint, restore

pytestmark = pytest.mark.no_rollback


def test_round_trip_into_a_scratch_database(scratch, reader_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = scratch("bkp")
    generate_all(source["owner_libpq"], tenants=3, per_tenant=3, seed=3)
    dump = tmp_path / "yokoten.dump"
    result = backup(reader_url(source["db"]), dump)
    manifest = result.manifest
    # the backup really holds tenant rows (not the zero rows of a dump filtered by RLS)
    assert manifest["tables"]["users"]["rows"] >= 9 + 3 * 4
    assert manifest["tables"]["memberships"]["rows"] > manifest["tables"]["users"]["rows"]
    assert all(t["force_rls"] for name, t in manifest["tables"].items() if name in ("users", "audit_log"))
    assert manifest["migration_head"] and manifest["policies"]

    target = scratch("restore", empty=True)
    problems = restore(dump, target["owner_libpq"], reader_url(target["db"]))
    assert problems == []
    with psycopg2.connect(reader_url(target["db"])) as conn, conn.cursor() as cur:
        restored = fingerprint(cur)
    assert {n: t["rows"] for n, t in restored["tables"].items()} == {
        n: t["rows"] for n, t in manifest["tables"].items()}
    assert json.loads(dump.with_name(dump.name + ".manifest.json").read_text())["tables"] == manifest["tables"]

    # the application role sees the restored rows of its bound tenant only (RLS is back on)
    app_url = target["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(app_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM users")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT set_config('app.tenant_id', '132055', true)")
        cur.execute("SELECT count(DISTINCT tenant_id), count(*) FROM users")
        assert cur.fetchone()[0] == 1

    # a second restore into the now non-empty database is refused, nothing touched
    with pytest.raises(BackupError, match="empty database"):
        restore(dump, target["owner_libpq"], reader_url(target["db"]))


def test_a_role_subject_to_rls_is_refused(scratch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = scratch("bkp")
    with pytest.raises(BackupError, match="row-level security"):
        backup(source["owner_libpq"], tmp_path / "owner.dump")
    assert not (tmp_path / "owner.dump").exists()


def test_cli_backup_and_restore(scratch, reader_url, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app
    from tests.conftest import BASE_CONFIG

    source = scratch("bkp")
    target = scratch("restore", empty=True)
    app = create_app({**BASE_CONFIG, **source})
    monkeypatch.setenv("DATABASE_BACKUP_URL", reader_url(source["db"]))
    runner = app.test_cli_runner()
    dump = tmp_path / "cli.dump"
    out = runner.invoke(args=["ops", "backup", "-o", str(dump)])
    assert out.exit_code == 0, out.output
    assert "tables" in out.output and dump.exists()
    out = runner.invoke(args=["ops", "restore", str(dump), "--target", target["owner_libpq"]])
    assert out.exit_code == 0, out.output
    assert "verified" in out.output
