"""Operator commands: `flask ops backup|restore|create-backup-role` and `flask demo generate`."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.backup import BackupError, backup, create_backup_role, libpq, restore, with_database

ops_cli = AppGroup("ops", help="Operations: backup and restore.")


def _backup_url() -> str:
    url = os.environ.get("DATABASE_BACKUP_URL") or current_app.config.get("DATABASE_BACKUP_URL") or ""
    if not url:
        raise click.ClickException(
            "DATABASE_BACKUP_URL is not set: backups read as a BYPASSRLS role, because RLS is forced for the "
            "owner too (see docs/operations.md, flask ops create-backup-role).")
    return libpq(url)


@ops_cli.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="dump file (default: var/backups/yokoten-<UTC time>.dump)")
def backup_command(output: Path | None) -> None:
    """pg_dump of the whole database plus a manifest (row counts, checksums, policies, head)."""
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path("var/backups") / f"yokoten-{stamp}.dump"
    try:
        result = backup(_backup_url(), output)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    tables = result.manifest["tables"]
    click.echo(f"backup written: {result.path} ({result.path.stat().st_size:,} bytes)")
    click.echo(f"{len(tables)} tables, {result.total_rows:,} rows, migration head {result.manifest['migration_head']}")


@ops_cli.command("restore")
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", default=None,
              help="owner URL of the (empty) database to restore into; default DATABASE_OWNER_URL")
@click.option("--replace", is_flag=True, help="drop and recreate the objects of a non-empty target")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="compare row counts, checksums, RLS flags, policies and head with the manifest")
def restore_command(dump: Path, target: str | None, replace: bool, verify: bool) -> None:
    """pg_restore as the owner, then verify the restored database against the backup's manifest."""
    owner_url = target or current_app.config.get("DATABASE_OWNER_URL") or ""
    if not owner_url:
        raise click.ClickException("no target: pass --target or set DATABASE_OWNER_URL")
    owner_url = libpq(owner_url)
    verify_url = None
    if verify:
        from portal.backup import database_name

        verify_url = with_database(_backup_url(), database_name(owner_url))
    try:
        problems = restore(dump, owner_url, verify_url, replace=replace)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    if problems:
        for line in problems:
            click.echo(f"MISMATCH {line}", err=True)
        raise click.ClickException(f"restored, but {len(problems)} differences from the backup")
    click.echo("restored" + (" and verified: every table's rows and checksum, RLS, policies and head match"
                             if verify else " (not verified)"))


@ops_cli.command("create-backup-role")
@click.option("--admin-url", required=True, help="a superuser URL (only superusers may grant BYPASSRLS)")
@click.option("--role", default="yokoten_backup", show_default=True)
@click.option("--password", default=None, help="login password (omit with peer/trust authentication)")
def create_backup_role_command(admin_url: str, role: str, password: str | None) -> None:
    """Create the read-only BYPASSRLS role that backups read as."""
    try:
        create_backup_role(admin_url, role, password)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"role {role}: LOGIN BYPASSRLS, member of pg_read_all_data")


@ops_cli.command("check-role")
def check_role_command() -> None:
    """Check that DATABASE_URL's role cannot bypass row-level security (exit 1 when it could)."""
    import psycopg2

    from portal.role_check import check_database_role, refusal_message

    try:
        reasons = check_database_role(current_app.config["SQLALCHEMY_DATABASE_URI"])
    except psycopg2.Error as error:
        raise click.ClickException(f"cannot connect with DATABASE_URL: {str(error).strip()}") from error
    if reasons:
        raise click.ClickException(refusal_message(reasons))
    click.echo("DATABASE_URL's role is safe: no superuser, no BYPASSRLS, no CREATEROLE, owns no table")


def register(app: Flask) -> None:
    from portal.cli import demo_cli
    from portal.generate import generate_command

    app.cli.add_command(ops_cli)
    demo_cli.add_command(generate_command)
