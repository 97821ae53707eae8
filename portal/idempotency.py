"""Every state-changing request is idempotent: a repeated or concurrent submission runs once.

- Web forms: every ``<form method="post">`` of an HTML page gets a hidden one-time token ``_once``
  (inserted here, so no template can forget it, and it works without script).
- API: the client sends an ``Idempotency-Key`` header (at most 64 characters) with a POST/PUT/PATCH/DELETE.

The first request with a key inserts ``(tenant, user, key)`` into ``idempotency_keys`` in its own
transaction; a concurrent second one waits on that unique key until the first commits (PostgreSQL
blocks a conflicting insert on an uncommitted row), then finds it and answers with the first
result: the same redirect (and a message that the form was already sent) for a form, the same status
and JSON body for the API. When the first request fails (status ≥ 400) its transaction rolls back,
the key disappears and the person can send the form again. Rows older than a day are deleted by
``flask ops housekeeping`` (cron, daily; docs/operations.md).
"""
from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Optional

from flask import Flask, Response, flash, g, redirect, request
from flask_login import current_user
from sqlalchemy import BigInteger, DateTime, Integer, String, Text, delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import db
from kernel.i18n import service_gettext as _
from kernel.models_base import TenantOwned

FIELD = "_once"
HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_POST_FORM = re.compile(rb"(<form\b[^>]*\bmethod=\"post\"[^>]*>)", re.IGNORECASE)
MAX_STORED_BODY = 100_000
# An autosave (portal/drafts.py) is repeated by design while the person types and writes the one draft of the
# form under the draft's lock, last text wins: a repeat must answer "saved" as the first did, never "already
# sent". It carries no one-time token of its own (drafts.js sends the page's token as _draft_once, read there).
NOT_CLAIMED = frozenset({"drafts.save_draft"})
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class IdempotencyKey(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A state-changing request already handled for one person, with what it answered."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    location: Mapped[Optional[str]] = mapped_column(String(1000))
    body: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _incoming_key() -> Optional[str]:
    key = request.headers.get(HEADER) if request.path.startswith("/api/") else request.form.get(FIELD)
    return key if key and _KEY.match(key) else None


def claim() -> Optional[Response]:
    """Before a state-changing request: claim its key, or answer with the first request's result."""
    if request.method not in UNSAFE or not current_user.is_authenticated or request.endpoint in NOT_CLAIMED:
        return None
    key = _incoming_key()
    if key is None:
        return None
    values = dict(tenant_id=current_user.tenant_id, user_id=current_user.id, key=key, method=request.method,
                  path=request.path[:500])
    claimed = db.session.execute(pg_insert(IdempotencyKey).values(**values).on_conflict_do_nothing()
                                 .returning(IdempotencyKey.key)).scalar()
    if claimed is not None:
        g.idempotency_key = key
        return None
    first = db.session.get(IdempotencyKey, (current_user.tenant_id, current_user.id, key))
    db.session.rollback()  # nothing of this repeated request is written
    return _replay(first)


def _replay(first: Optional[IdempotencyKey]) -> Response:
    if request.path.startswith("/api/"):
        response = Response(first.body if first and first.body is not None else '{"status": "duplicate"}',
                            status=first.status_code if first and first.status_code else 409,
                            mimetype="application/json")
        response.headers["Idempotency-Replayed"] = "true"
        if first is not None and first.location:  # a created object's address (201): the same answer as the first
            response.headers["Location"] = first.location
        return response
    message = _("This form was already sent; it was processed once. Here is its result.")
    if first is not None and first.location:
        flash(message, "info")
        # The first one's own redirect status too (303 after a button of kernel.views.act): the same answer.
        code = first.status_code if first.status_code in (301, 302, 303, 307, 308) else 302
        return redirect(first.location, code=code)  # type: ignore[return-value]
    from kernel.errors import render_error

    return render_error(409, _("This form was already sent and processed once. Reload the page to continue."))


def record(response: Response) -> Response:
    """After a successful first request: remember its answer (same transaction, committed with its writes)."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    row = db.session.get(IdempotencyKey, (current_user.tenant_id, current_user.id, key))
    # A refusal (status >= 400) or a page that only asked for confirmation (kernel.confirm) changed nothing.
    if response.status_code >= 400 or g.pop("idempotency_release", False):
        # A refused request wrote nothing, and neither does its claim: the corrected form is sent again
        # with the same token, and the bad-input test finds no row left behind by a 400.
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return response
    if row is not None:
        row.status_code = response.status_code
        row.location = (response.headers.get("Location") or "")[:1000] or None
        if request.path.startswith("/api/") and response.is_json and not response.direct_passthrough:
            data = response.get_data(as_text=True)
            row.body = data if len(data) <= MAX_STORED_BODY else None
        db.session.flush()
    return response


def add_form_tokens(response: Response) -> Response:
    """Give every POST form of an HTML page its own one-time token (no template has to remember it)."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    data = response.get_data()
    if b"<form" not in data:
        return response
    response.set_data(_POST_FORM.sub(
        lambda m: m.group(1) + b'<input type="hidden" name="' + FIELD.encode() + b'" value="'
        + secrets.token_urlsafe(18).encode() + b'">', data))
    return response


def forget_old(tenant_id: str, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete the keys of one tenant older than a day (a repeated form after that is a new request)."""
    result = db.session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.created_at < datetime.now(UTC) - older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Register after the request-boundary commit hook: Flask runs after_request hooks last-registered first,
    so the answer is recorded before the commit and the tokens are added to the final page."""
    app.before_request(claim)
    app.after_request(record)
    app.after_request(add_form_tokens)

