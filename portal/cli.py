"""`flask demo load` and the demo-data registry of the domains."""
from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import AppGroup

from portal.db_admin import owner_session

demo_cli = AppGroup("demo", help="Demonstration data.")

# Each domain that has demo data exposes `load_demo() -> str` (a one-line summary) in `<pkg>.demo`.
DEMO_MODULES = ("casebook.demo", "procurement.demo", "awards.demo")


def load_all_demo() -> list[str]:
    """Tenants, demo accounts and every domain's demo data, idempotently (runs as the owner)."""
    from portal.demo import load_demo_users
    from tenants.services import load_tenants

    lines = []
    with owner_session():
        created, _updated = load_tenants()
        lines.append(f"tenants: {created} created")
        lines.append(f"demo users: {load_demo_users()}")
    for name in DEMO_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        with owner_session():
            lines.append(module.load_demo())
    return lines


@demo_cli.command("load")
def demo_load_command() -> None:
    """Load tenants, demo accounts and demo data (idempotent)."""
    for line in load_all_demo():
        click.echo(line)


tokens_cli = AppGroup("tokens", help="Personal access tokens of the API.")


@tokens_cli.command("create")
@click.option("--email", required=True, help="the user's e-mail address")
@click.option("--tenant", "tenant_code", default=None, help="6-digit code, when the address exists in several")
@click.option("--name", default="cli", show_default=True, help="a name to recognise the token by")
def tokens_create_command(email: str, tenant_code: str | None, name: str) -> None:
    """Create a token for a user; the token is printed alone on the last line."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.tokens import create_token
    from tenants.context import bind_tenant
    from tenants.models import Tenant, User
    from tenants.services import ServiceError

    with owner_session():
        codes = [tenant_code] if tenant_code else list(db.session.scalars(select(Tenant.code).order_by(Tenant.code)))
        found = []
        for code in codes:  # users are tenant-owned: look in each tenant under its own binding
            bind_tenant(code)
            user = db.session.scalar(select(User).where(User.tenant_id == code, User.email == email.strip().lower()))
            if user is not None:
                found.append(user)
        if not found:
            raise click.ClickException(f"no user with e-mail {email}")
        if len(found) > 1:
            raise click.ClickException("the address exists in several tenants: give --tenant")
        user = found[0]
        if not user.is_active:
            raise click.ClickException("the user is deactivated")
        bind_tenant(user.tenant_id, user.id)
        try:
            _row, text = create_token(user, name)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        label = f"{user.email} ({user.tenant_id})"
    click.echo(f"token for {label}:")
    click.echo(text)


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(tokens_cli)
