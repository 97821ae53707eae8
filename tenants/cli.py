"""Operator commands: `flask tenants load`, `flask users create`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from kernel.db_admin import owner_session
from kernel.errors import ServiceError
from tenants.context import as_tenant
from tenants.roles import Role
from tenants.services import NewUser, create_user, load_tenants

tenants_cli = AppGroup("tenants", help="Tenants (municipalities and TMG).")
users_cli = AppGroup("users", help="Users of a tenant.")


@tenants_cli.command("load")
def load_command() -> None:
    """Load the 62 municipalities and TMG (idempotent)."""
    with owner_session():
        created, updated = load_tenants()
    click.echo(f"tenants: {created} created, {updated} updated")


@users_cli.command("create")
@click.option("--tenant", "tenant_code", required=True, help="6-digit local government code")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="")
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]),
              default=[Role.MEMBER.value], show_default=True)
def create_command(tenant_code: str, email: str, display_name: str, roles: tuple[str, ...]) -> None:
    """Create a user in a tenant with one or more roles."""
    try:
        with owner_session(), as_tenant(tenant_code):
            user = create_user(NewUser(tenant_code, email, display_name or email, tuple(roles)))
            user_id = user.id
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"created user {user_id} <{email.lower()}> in {tenant_code} with roles {', '.join(sorted(roles))}")


def register(app: Flask) -> None:
    app.cli.add_command(tenants_cli)
    app.cli.add_command(users_cli)
