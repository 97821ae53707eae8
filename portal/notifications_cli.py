"""`flask notifications send|digest|remind`: the mail worker, the daily digest and deadline reminders.

Run ``flask notifications send --loop 30`` beside the web workers (``make run`` does): it sends what
the after-response path could not (mail server down, worker killed) and retries with backoff. Cron
``digest`` and ``remind`` once a day (e.g. 07:00 Asia/Tokyo).
"""
from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from kernel.extensions import db

notifications_cli = AppGroup("notifications", help="Mail outbox worker, daily digests, deadline reminders.")


@notifications_cli.command("send")
@click.option("--loop", "interval", type=float, default=0.0,
              help="keep running, waiting this many seconds between rounds")
def send_command(interval: float) -> None:
    """Send the pending mails that are due (retries with backoff; failed after 10 attempts)."""
    from kernel.notifications.outbox import mail_enabled, send_pending

    if not mail_enabled():
        click.echo("SMTP_HOST is not set: no mail is sent (notifications stay in the portal).")
        return
    while True:
        result = send_pending()
        db.session.remove()
        if result.sent or result.retrying or result.failed or not interval:
            click.echo(f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}")
        if not interval:
            return
        time.sleep(interval)  # a polling worker: the fast path already sent each request's mails


@notifications_cli.command("digest")
def digest_command() -> None:
    """Queue the daily digest of every person who chose it, then send the pending mails."""
    from kernel.notifications.outbox import send_pending
    from kernel.notifications.service import write_digests

    written = write_digests()
    db.session.commit()
    result = send_pending()
    click.echo(f"digests {written}, sent {result.sent}, retrying {result.retrying}")


@notifications_cli.command("remind")
def remind_command() -> None:
    """Remind people of deadlines coming up (each domain's reminder providers), then send the mails."""
    from kernel.notifications.outbox import send_pending
    from kernel.reminders import run_reminders

    told = run_reminders()
    db.session.commit()
    result = send_pending()
    click.echo(f"reminders {told}, sent {result.sent}, retrying {result.retrying}")


def register(app: Flask) -> None:
    app.cli.add_command(notifications_cli)
