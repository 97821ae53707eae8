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


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
