"""`flask tokens create`, and the `flask demo` group whose commands live in devtools."""
from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from kernel.db_admin import owner_session


class DevelopmentGroup(AppGroup):
    """`flask demo …`: a group whose commands are loaded from devtools.cli only when one is run.

    Demo data and generators are development-only code (devtools); registering them eagerly would
    make every app import them. This lazy import is the one place where the shell reaches devtools
    (allowed by name in the import contracts of pyproject.toml).
    """

    def _group(self) -> click.Group:
        from devtools.cli import demo_cli

        return demo_cli

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> Any:
        return self._group().get_command(ctx, cmd_name)


demo_cli = DevelopmentGroup("demo", help="Demonstration data (development only).")


tokens_cli = AppGroup("tokens", help="Personal access tokens of the API.")


@tokens_cli.command("create")
@click.option("--email", required=True, help="the user's e-mail address")
@click.option("--tenant", "tenant_code", default=None, help="6-digit code, when the address exists in several")
@click.option("--name", default="cli", show_default=True, help="a name to recognise the token by")
def tokens_create_command(email: str, tenant_code: str | None, name: str) -> None:
    """Create a token for a user; the token is printed alone on the last line."""
    from sqlalchemy import select

    from kernel.errors import ServiceError
    from kernel.extensions import db
    from tenants.context import as_tenant
    from tenants.models import Tenant, User
    from tenants.tokens import create_token

    with owner_session():
        codes = [tenant_code] if tenant_code else list(db.session.scalars(select(Tenant.code).order_by(Tenant.code)))
        found = []
        for code in codes:  # users are tenant-owned: look in each tenant under its own binding
            with as_tenant(code):
                user = db.session.scalar(select(User).where(User.tenant_id == code,
                                                            User.email == email.strip().lower()))
            if user is not None:
                found.append(user)
        if not found:
            raise click.ClickException(f"no user with e-mail {email}")
        if len(found) > 1:
            raise click.ClickException("the address exists in several tenants: give --tenant")
        user = found[0]
        if not user.is_active:
            raise click.ClickException("the user is deactivated")
        try:
            with as_tenant(user.tenant_id, user.id):
                _row, text = create_token(user, name)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        label = f"{user.email} ({user.tenant_id})"
    click.echo(f"token for {label}:")
    click.echo(text)


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(tokens_cli)
