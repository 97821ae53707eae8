"""`flask support breaches`: the engagements over their stage's service level (for a daily mail or cron)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

support_cli = AppGroup("support", help="Support engagements (伴走型支援).")


@support_cli.command("breaches")
def breaches_command() -> None:
    """List the engagements over their stage's service level (reads as TMG's support desk)."""
    from kernel.db_admin import owner_session
    from support import queries
    from tenants.context import as_tenant

    with owner_session():
        # The owner is under the forced policies too: read each municipality under its own binding.
        rows = []
        with as_tenant(None):
            tenants = queries.municipalities()
        for tenant in tenants:
            with as_tenant(tenant.code):
                rows += [r for r in queries.desk_rows(queries.DeskFilters()) if r.breached]
    for row in rows:
        click.echo(f"{row.tenant.code} {row.tenant.name_ja}\t{row.engagement.id}\t{row.engagement.stage}\t"
                   f"{row.days_in_stage}/{row.sla_days} 日\t{row.engagement.title}")
    click.echo(f"{len(rows)} breaches")


def register(app: Flask) -> None:
    app.cli.add_command(support_cli)
