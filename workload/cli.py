"""`flask workload publish --fiscal-year 2026`: publish the benchmark cells of a fiscal year again."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from kernel.db_admin import owner_session

workload_cli = AppGroup("workload", help="Workload surveys.")


@workload_cli.command("publish")
@click.option("--fiscal-year", "fiscal_year", type=int, required=True)
def publish_command(fiscal_year: int) -> None:
    """Recompute the published peer benchmark of a fiscal year (e.g. after changing the minimum)."""
    from kernel.extensions import db
    from workload.services import publish_benchmark

    with owner_session():
        written = publish_benchmark(fiscal_year)
        db.session.commit()
    click.echo(f"{written} cells written for fiscal year {fiscal_year}")


def register(app: Flask) -> None:
    app.cli.add_command(workload_cli)
