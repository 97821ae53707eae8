"""`flask demo load` / `flask demo generate`: demo data and benchmark data (development only).

The shell's CLI registration loads this module only when a `flask demo` command runs (portal/cli.py),
so the runtime app never imports devtools.
"""
from __future__ import annotations

import importlib

import click
from flask.cli import AppGroup

from devtools.generate import generate_command
from kernel.db_admin import owner_session

demo_cli = AppGroup("demo", help="Demonstration data.")
demo_cli.add_command(generate_command)

# Each domain that has demo data has `load_demo() -> str` (a one-line summary) in `devtools.demo.<domain>`.
DEMO_MODULES = ("devtools.demo.casebook", "devtools.demo.procurement", "devtools.demo.awards", "devtools.demo.workload",
                "devtools.demo.community", "devtools.demo.support", "devtools.demo.tenants")


def load_all_demo() -> list[str]:
    """Tenants, demo accounts and every domain's demo data, idempotently (runs as the owner)."""
    from devtools.demo import load_demo_users
    from tenants.services import load_tenants

    lines = []
    with owner_session():
        created, _updated = load_tenants()
        lines.append(f"tenants: {created} created")
        lines.append(f"demo users: {load_demo_users()}")
    for name in DEMO_MODULES:
        module = importlib.import_module(name)
        with owner_session():
            lines.append(module.load_demo())
    return lines


@demo_cli.command("load")
def demo_load_command() -> None:
    """Load tenants, demo accounts and demo data (idempotent)."""
    for line in load_all_demo():
        click.echo(line)
