"""Mail after the commit: an outbox table written in the request's transaction, sent afterwards.

Why an outbox: a mail sent inside the request could go out for a transaction that then rolls back,
and a slow or absent mail server would hold the person's request. So a service only adds a row to
``mail_outbox`` (same transaction as the write it tells about); the mail leaves after the commit:

* fast path — after the response has been handed to the client (``response.call_on_close``), the
  worker process sends the mails this request committed. The person never waits for SMTP, and a
  failure only leaves the row pending. It runs when the WSGI server closes the response (PEP 3333):
  gunicorn always does, also after a reset connection; werkzeug's development server may not
  (tests/live_server.py);
* safety net — ``flask notifications send`` (``--loop N`` to keep running) sends every pending row
  that is due, retrying failed ones with exponential backoff (1, 2, 4 … minutes, at most 6 hours,
  given up after ``MAX_ATTEMPTS`` with status ``failed``); ``flask notifications digest`` writes the
  daily digests. Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several workers and requests
  never send the same row twice at the same time (delivery is at least once: a crash between the
  SMTP hand-over and the commit sends that mail again).
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import partial
from typing import Any, Optional

from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kernel.extensions import db
from kernel.notifications.directory import directory
from kernel.notifications.models import OutboxMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
SMTP_SECURITY = ("none", "starttls", "ssl")


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: 1, 2, 4 … minutes, never more than 6 hours."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def mail_enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def queue_mail(tenant_id: str, to_address: str, subject: str, body: str, *, user_id: Optional[int] = None,
               kind: str = "") -> Optional[OutboxMail]:
    """Add a mail to the outbox in the current transaction (call under the recipient's tenant binding);
    None when no mail server is configured (the in-app notification is then the only channel)."""
    if not mail_enabled() or not to_address:
        return None
    row = OutboxMail(tenant_id=tenant_id, user_id=user_id, kind=kind, to_address=to_address,
                     subject=subject[:300], body=body)
    db.session.add(row)
    db.session.flush()
    if has_app_context():
        g.setdefault("outbox_new", []).append((tenant_id, row.id))
    return row


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_pending(only: Optional[Iterable[tuple[str, int]]] = None, *, limit: int = 200,
                 now: Optional[datetime] = None) -> SendResult:
    """Send the due pending mails (all tenants, or only the given (tenant, id) rows), committing per tenant."""
    result = SendResult()
    if not mail_enabled():
        return result
    now = now or datetime.now(UTC)
    wanted: Optional[dict[str, list[int]]] = None
    if only is not None:
        wanted = {}
        for tenant_id, row_id in only:
            wanted.setdefault(tenant_id, []).append(row_id)
    tenants = sorted(wanted) if wanted is not None else directory().tenant_codes()
    connection = _Connection(current_app.config)
    try:
        for tenant_id in tenants:
            with directory().bound(tenant_id):
                query = (select(OutboxMail).where(OutboxMail.tenant_id == tenant_id, OutboxMail.status == "pending",
                                                  OutboxMail.next_attempt_at <= now)
                         .order_by(OutboxMail.id).limit(limit).with_for_update(skip_locked=True))
                if wanted is not None:
                    query = query.where(OutboxMail.id.in_(wanted[tenant_id]))
                for row in db.session.scalars(query):
                    _send_one(connection, row, now, result)
                db.session.commit()
    finally:
        connection.close()
    return result


def _send_one(connection: _Connection, row: OutboxMail, now: datetime, result: SendResult) -> None:
    try:
        connection.send(_message(row))
    except (OSError, smtplib.SMTPException) as error:
        connection.close()  # a broken connection is reopened for the next row
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            result.failed += 1
            log.error("mail %s/%s given up after %s attempts: %s", row.tenant_id, row.id, row.attempts,
                      row.last_error)
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            result.retrying += 1
            log.warning("mail %s/%s not sent (attempt %s): %s", row.tenant_id, row.id, row.attempts, row.last_error)
        return
    row.status = "sent"
    row.sent_at = now
    row.attempts += 1
    result.sent += 1


def _message(row: OutboxMail) -> EmailMessage:
    config = current_app.config
    mail = EmailMessage()
    mail["Subject"] = row.subject
    mail["From"] = formataddr((config.get("MAIL_FROM_NAME", "横展開ポータル Yokoten"), config.get("MAIL_FROM",
                                                                                          "yokoten@localhost")))
    mail["To"] = row.to_address
    mail["Message-ID"] = make_msgid(idstring=f"{row.tenant_id}.{row.id}", domain="yokoten.invalid")
    mail["X-Yokoten-Kind"] = row.kind or "mail"
    mail.set_content(row.body)
    return mail


class _Connection:
    """One SMTP connection for a batch, opened on the first mail (plain, STARTTLS or SSL; login if configured)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.smtp: Optional[smtplib.SMTP] = None

    def send(self, mail: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        self.smtp.send_message(mail)

    def _open(self) -> smtplib.SMTP:
        host, port = self.config["SMTP_HOST"], int(self.config.get("SMTP_PORT") or 25)
        timeout = float(self.config.get("SMTP_TIMEOUT") or 10)
        security = self.config.get("SMTP_SECURITY") or "none"
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if self.config.get("SMTP_USERNAME"):
            smtp.login(self.config["SMTP_USERNAME"], self.config.get("SMTP_PASSWORD") or "")
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


# After the commit ---------------------------------------------------------------------------

@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if has_app_context():
        new = g.pop("outbox_new", None)
        if new:
            g.setdefault("outbox_committed", []).extend(new)


def _send_after_response(app: Flask, committed: list[tuple[str, int]]) -> None:
    if not committed:
        return
    try:
        with app.app_context():
            send_pending(list(committed))
            db.session.remove()
    except Exception:  # noqa: BLE001 - the response is already out; the worker retries what is left
        log.exception("sending the request's mails failed; `flask notifications send` will retry")


def init_app(app: Flask) -> None:
    """Send each request's committed mails after its response has gone out (the worker is the safety net)."""
    @app.after_request
    def _schedule(response: Response) -> Response:
        if app.config.get("SMTP_HOST") and app.config.get("MAIL_SEND_AFTER_RESPONSE", True):
            committed = g.setdefault("outbox_committed", [])
            response.call_on_close(partial(_send_after_response, app, committed))
        return response
