"""`flask sso keys list|rotate|certificate`: the portal's signing keys for private_key_jwt (owner role, audited)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from kernel import audit
from kernel.db_admin import owner_session
from tenants.sso.crypto import SecretKeyError
from tenants.sso.keys import DEFAULT_PUBLISH_DAYS, key_states, rotate_keys

keys_cli = AppGroup("keys", help="The portal's signing keys (private_key_jwt client authentication).")


@keys_cli.command("list")
def list_command() -> None:
    """Every stored key: which one signs, which are published in /.well-known/jwks.json, until when."""
    with owner_session():
        states = key_states()
        if not states:
            click.echo("no signing key: run `flask sso keys rotate`")
        for state in states:
            role = "signing" if state.active else ("next" if state.retires_at is None else "previous")
            until = f", published until {state.retires_at:%Y-%m-%d %H:%M} UTC" if state.retires_at else ""
            click.echo(f"{state.key.kid}  {role:8} activates {state.key.activates_at:%Y-%m-%d %H:%M} UTC"
                       f"{until}{'' if state.published else ' (no longer published)'}")


@keys_cli.command("rotate")
@click.option("--publish-days", default=DEFAULT_PUBLISH_DAYS, show_default=True, type=click.IntRange(0, 90),
              help="publish the new key this many days before it signs (time to upload its certificate to "
                   "IdPs that pin keys, such as Entra ID)")
@click.option("--immediately", is_flag=True, help="sign with the new key at once (a compromised key)")
def rotate_command(publish_days: int, immediately: bool) -> None:
    """Add a new key; keys whose successor signs since longer than an hour are deleted."""
    try:
        with owner_session():
            key = rotate_keys(publish_days, immediately=immediately)
            audit.record("sso.signing_key", "sso_signing_key", key.kid,
                         after={"activates_at": key.activates_at.isoformat()})
            click.echo(f"new key {key.kid}, signs from {key.activates_at:%Y-%m-%d %H:%M} UTC")
    except SecretKeyError as error:
        raise click.ClickException(str(error)) from error


@keys_cli.command("certificate")
@click.option("--kid", default=None, help="the key (default: the newest; a kid may start with '-', hence an option)")
def certificate_command(kid: str | None) -> None:
    """Print a key's certificate (PEM; default: the newest key), to upload at Entra ID."""
    with owner_session():
        states = key_states()
        chosen = next((s for s in states if kid is None or s.key.kid == kid), None)
        if chosen is None:
            raise click.ClickException("no such key (see `flask sso keys list`)")
        click.echo(chosen.key.certificate_pem, nl=False)
