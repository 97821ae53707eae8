"""`flask community remind` — the daily reminders of the forum and the talent network (run from cron)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

community_cli = AppGroup("community", help="CIO forum and DX talent network.")


@community_cli.command("remind")
def remind_command() -> None:
    """Only the community's reminders (``flask notifications remind`` runs them with every domain's)."""
    from community.services.meetings import send_meeting_reminders
    from community.services.talent import send_vacancy_reminders
    from kernel.extensions import db

    meetings = send_meeting_reminders()
    vacancies = send_vacancy_reminders()
    db.session.commit()
    click.echo(f"people reminded of meetings: {meetings}, of promoter vacancies: {vacancies}")


def register(app: Flask) -> None:
    app.cli.add_command(community_cli)
