"""Operator commands: `flask ops backup|restore|create-backup-role|check-role|housekeeping`
(`flask demo generate` is in devtools/cli.py)."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.backup import BackupError, backup, create_backup_role, libpq, manifest_path, restore, with_database

ops_cli = AppGroup("ops", help="Operations: backup and restore.")


def _backup_url() -> str:
    url = os.environ.get("DATABASE_BACKUP_URL") or current_app.config.get("DATABASE_BACKUP_URL") or ""
    if not url:
        raise click.ClickException(
            "DATABASE_BACKUP_URL is not set: backups read as a BYPASSRLS role, because RLS is forced for the "
            "owner too (see docs/operations.md, flask ops create-backup-role).")
    return libpq(url)


def backup_directory() -> Path:
    """BACKUP_DIR (must be absolute), or var/backups made absolute; created 0700."""
    configured = os.environ.get("BACKUP_DIR") or current_app.config.get("BACKUP_DIR") or ""
    if configured and not Path(configured).is_absolute():
        raise click.ClickException(f"BACKUP_DIR must be an absolute path, not {configured!r}")
    directory = Path(configured) if configured else Path("var/backups").absolute()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def _recipients(given: tuple[str, ...]) -> list[str]:
    from_env = [r.strip() for r in os.environ.get("BACKUP_AGE_RECIPIENTS", "").split(",") if r.strip()]
    return list(given) or from_env


@ops_cli.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="dump file (default: $BACKUP_DIR/yokoten-<UTC time>.dump[.age])")
@click.option("--encrypt-to", "recipients", multiple=True,
              help="age recipient (public key age1…); repeatable; default BACKUP_AGE_RECIPIENTS (comma-separated)")
def backup_command(output: Path | None, recipients: tuple[str, ...]) -> None:
    """pg_dump of the whole database plus a manifest (row counts, checksums, policies, head), files 0600."""
    age_recipients = _recipients(recipients)
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = backup_directory() / (f"yokoten-{stamp}.dump" + (".age" if age_recipients else ""))
    try:
        result = backup(_backup_url(), output, age_recipients=age_recipients)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = result.manifest
    click.echo(f"backup written: {result.path} ({manifest['bytes']:,} bytes, mode 0600, sha256 {manifest['sha256']})")
    click.echo(f"manifest: {manifest_path(result.path)}")
    click.echo(f"PostgreSQL {manifest['server_major']}, database {manifest['database']}, migration head "
               f"{manifest['migration_head']}, roles to recreate before a restore: {', '.join(manifest['roles'])}")
    click.echo("encrypted for: " + (", ".join(age_recipients) if age_recipients else "nobody (not encrypted)"))
    for name, table in manifest["tables"].items():
        click.echo(f"  {name:<40} {table['rows']:>10,} rows  {table['checksum'] or '-'}")
    click.echo(f"{len(manifest['tables'])} tables, {result.total_rows:,} rows. Keep SSO_SECRET_KEY with the backups: "
               "without it the restored IdP client secrets cannot be read.")


@ops_cli.command("restore")
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", default=None,
              help="owner URL of the (empty) database to restore into; default DATABASE_OWNER_URL")
@click.option("--replace", is_flag=True, help="drop and recreate the objects of a non-empty target")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="compare row counts, checksums, RLS flags, policies and head with the manifest")
@click.option("--identity", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="age identity file of an encrypted backup (default BACKUP_AGE_IDENTITY)")
def restore_command(dump: Path, target: str | None, replace: bool, verify: bool, identity: Path | None) -> None:
    """pg_restore as the owner, then verify the restored database against the backup's manifest."""
    owner_url = target or current_app.config.get("DATABASE_OWNER_URL") or ""
    if not owner_url:
        raise click.ClickException("no target: pass --target or set DATABASE_OWNER_URL")
    owner_url = libpq(owner_url)
    if identity is None and os.environ.get("BACKUP_AGE_IDENTITY"):
        identity = Path(os.environ["BACKUP_AGE_IDENTITY"])
    verify_url = None
    if verify:
        from portal.backup import database_name

        verify_url = with_database(_backup_url(), database_name(owner_url))
    try:
        problems = restore(dump, owner_url, verify_url, replace=replace, age_identity=identity)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    if problems:
        for line in problems:
            click.echo(f"MISMATCH {line}", err=True)
        raise click.ClickException(f"restored, but {len(problems)} differences from the backup")
    click.echo("restored" + (" and verified: every table's rows and checksum, RLS, policies and head match"
                             if verify else " (not verified)"))


@ops_cli.command("create-roles")
@click.option("--admin-url", required=True, help="a superuser URL of the (new) server")
@click.option("--owner", required=True, help="the owner role (owns the tables, runs migrations)")
@click.option("--app-role", required=True, help="the application role (named in the backup's manifest)")
@click.option("--database", required=True, help="the (empty) database to create, owned by the owner")
def create_roles_command(admin_url: str, owner: str, app_role: str, database: str) -> None:
    """Disaster recovery: the owner, the application role and an empty database on a new server."""
    from kernel.db_admin import ensure_roles_and_database

    for name in (owner, app_role, database):
        if not name.replace("_", "").isalnum():
            raise click.ClickException(f"invalid name {name!r}")
    ensure_roles_and_database(admin_url, owner, app_role, database)
    click.echo(f"roles {owner} (owner) and {app_role} (application, no superuser, no BYPASSRLS) and database "
               f"{database}: ready. Set their passwords (ALTER ROLE … PASSWORD) for password authentication.")


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


@ops_cli.command("housekeeping")
def housekeeping_command() -> None:
    """Delete what has served its purpose (cron, daily): idempotency keys older than a day, form drafts older
    than DRAFT_KEEP_DAYS."""
    from kernel import drafts
    from kernel.extensions import db
    from kernel.notifications.directory import directory
    from portal.idempotency import forget_old

    # Its own command, not a side job of the mail worker: the keys pile up on every state-changing request
    # whether or not mail is configured (the worker stops at once without SMTP_HOST).
    keys = old_drafts = 0
    for tenant_id in directory().tenant_codes():  # tenant by tenant: the tables are under forced RLS
        with directory().bound(tenant_id):
            keys += forget_old(tenant_id)
            old_drafts += drafts.forget_old(tenant_id)
    db.session.commit()
    click.echo(f"idempotency keys deleted: {keys}, drafts deleted: {old_drafts}")


def register(app: Flask) -> None:
    app.cli.add_command(ops_cli)
