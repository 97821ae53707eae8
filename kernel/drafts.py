"""Server-side drafts of long forms: typed work survives a session end, a logout in another tab and a
browser crash (issue 17.3).

A draft is one row per (tenant, person, form key). The form key is the path the form is sent to
(``/cases/new``, ``/cases/12/edit``, ``/entries/7``), so the page that shows the form and the POST
that saves it name the same draft. Two kinds:

- ``autosave``: ``portal/static/js/drafts.js`` sends the fields while the person types (debounced,
  files left out). Opening the form again offers it back (「下書きを復元しますか」: 復元する is a plain
  link ``?draft=restore``, 破棄する a plain form, so it works without script).
- ``posted``: a form sent after the session had ended is kept here, never applied
  (``portal/drafts.py``); after logging in again the form opens with the text in it and says so.

Domains list their long forms with ``register_draft_form(endpoint, ...)`` at import, and fill the form
on GET from ``restored_formdata()``. A successful submission (a redirect) deletes the draft; drafts
older than ``DRAFT_KEEP_DAYS`` are never offered and are deleted by ``flask ops housekeeping``
(daily cron).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from flask import current_app, flash, g, request
from flask.globals import _cv_app, _cv_request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from sqlalchemy import BigInteger, DateTime, String, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from kernel.extensions import Model, db
from kernel.i18n import service_gettext as _
from kernel.models_base import TenantOwned

AUTOSAVE, POSTED = "autosave", "posted"
MARKER = "_draft"
PAGE_TOKEN = "_draft_once"  # an autosave names the form's one-time token (portal/drafts.py)
# Never kept: the CSRF token and one-time form token belong to the page they came with, and the
# marker names the draft itself.
SKIPPED_FIELDS = frozenset({"csrf_token", "_once", MARKER, PAGE_TOKEN})
MAX_DRAFT_CHARS = 200_000
MAX_KEY_LENGTH = 300
DEFAULT_KEEP_DAYS = 14

_DRAFTABLE: set[str] = set()


class FormDraft(TenantOwned, Model):
    """What one person typed into one long form and has not saved yet."""

    __tablename__ = "form_drafts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    form_key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fields: Mapped[list[list[str]]] = mapped_column(JSONB)
    kind: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def register_draft_form(*endpoints: str) -> None:
    """Called by a domain at import: these form pages keep a server-side draft."""
    _DRAFTABLE.update(endpoints)


def is_draftable(endpoint: Optional[str]) -> bool:
    return endpoint in _DRAFTABLE


def keep_days() -> int:
    return int(current_app.config.get("DRAFT_KEEP_DAYS") or DEFAULT_KEEP_DAYS)


def fields_of(form: MultiDict[str, Any]) -> Optional[list[list[str]]]:
    """The text fields of a posted form as [name, value] pairs (files and tokens left out); None if too large."""
    pairs = [[name, value] for name, value in form.items(multi=True)
             if isinstance(value, str) and name not in SKIPPED_FIELDS]
    if sum(len(name) + len(value) for name, value in pairs) > MAX_DRAFT_CHARS:
        return None
    return pairs


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt="yokoten.form-draft")


def marker_for(tenant_id: str, user_id: int, key: str) -> str:
    """The signed owner and key a draftable form carries: a posted form is kept only for the person it was shown to."""
    return str(_serializer().dumps([tenant_id, user_id, key]))


def read_marker(value: Optional[str]) -> Optional[tuple[str, int, str]]:
    """(tenant, user, form key) of a marker this app signed, or None."""
    if not value or len(value) > 1000:
        return None
    try:
        tenant_id, user_id, key = _serializer().loads(value)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(tenant_id, str) or not isinstance(user_id, int) or not isinstance(key, str):
        return None
    return tenant_id, user_id, key


def save(tenant_id: str, user_id: int, key: str, fields: list[list[str]], kind: str = AUTOSAVE) -> None:
    """Keep (or replace) the person's draft of one form."""
    values = dict(tenant_id=tenant_id, user_id=user_id, form_key=key[:MAX_KEY_LENGTH], fields=fields, kind=kind,
                  updated_at=func.now())
    statement = pg_insert(FormDraft).values(**values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[FormDraft.tenant_id, FormDraft.user_id, FormDraft.form_key],
        set_=dict(fields=statement.excluded.fields, kind=statement.excluded.kind, updated_at=func.now())))


def lock(tenant_id: str, user_id: int, key: str) -> None:
    """Serialise the writers of one draft until the transaction ends (an autosave and the form's own
    submission may arrive at the same moment; see portal/drafts.py)."""
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(
        f"form_draft:{tenant_id}:{user_id}:{key}", 0))))


def find(tenant_id: str, user_id: int, key: str) -> Optional[FormDraft]:
    """The person's draft of one form, unless it has expired."""
    return db.session.scalar(select(FormDraft).where(
        FormDraft.tenant_id == tenant_id, FormDraft.user_id == user_id, FormDraft.form_key == key,
        FormDraft.updated_at >= datetime.now(UTC) - timedelta(days=keep_days())))


def discard(tenant_id: str, user_id: int, key: str) -> int:
    """Delete the person's draft of one form (discarded, or the form was saved)."""
    result = db.session.execute(delete(FormDraft).where(
        FormDraft.tenant_id == tenant_id, FormDraft.user_id == user_id, FormDraft.form_key == key))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_old(tenant_id: str, older_than: Optional[timedelta] = None) -> int:
    """Delete one tenant's drafts not touched for DRAFT_KEEP_DAYS days."""
    limit = datetime.now(UTC) - (older_than if older_than is not None else timedelta(days=keep_days()))
    result = db.session.execute(delete(FormDraft).where(FormDraft.tenant_id == tenant_id,
                                                        FormDraft.updated_at < limit))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the form page ---------------------------------------------------------------------------------

def _page_draft() -> Optional[FormDraft]:
    """The current person's draft of the form on this page (looked up once per request)."""
    # g and the request from their context variables: the layout asks on every page (issue 25.5).
    values = _cv_app.get().g.__dict__
    if "page_draft" not in values:
        draft = None
        request_ctx = _cv_request.get(None)
        if request_ctx is not None and is_draftable(request_ctx.request.endpoint) \
                and current_user.is_authenticated:
            draft = find(current_user.tenant_id, current_user.id, request_ctx.request.path)
        values["page_draft"] = draft
    found: Optional[FormDraft] = values["page_draft"]
    return found


def restored_formdata() -> Optional[MultiDict[str, str]]:
    """On GET of a long form: the kept fields to fill it with, or None.

    A form that was sent after the session had ended comes back at once (and the person is told it is
    not saved yet); an autosaved draft only when the person chose 復元する (``?draft=restore``).
    """
    if request.method != "GET":
        return None
    draft = _page_draft()
    if draft is None:
        return None
    if draft.kind == POSTED:
        flash(_("Your session had ended when you sent this form, so it was not saved. What you typed has been "
                "restored: check it and save again."), "info")
        draft.kind = AUTOSAVE  # told once; from now on it is an ordinary draft until the form is saved
    elif request.args.get("draft") == "restore":
        flash(_("The draft was restored. It is not saved yet: check it and save."), "info")
    else:
        return None
    g.draft_restored = True
    return MultiDict([(name, value) for name, value in draft.fields])


def draft_offer() -> Optional[FormDraft]:
    """For the layout: the draft to offer back on this form page (none once it was restored)."""
    if _cv_request.get().request.method != "GET" or _cv_app.get().g.__dict__.get("draft_restored"):
        return None
    return _page_draft()


def draft_marker() -> Markup:
    """Inside a long form: the signed owner/key field and the live region where autosave reports."""
    if not current_user.is_authenticated or not is_draftable(request.endpoint):
        return Markup("")
    marker = marker_for(current_user.tenant_id, current_user.id, request.path)
    return Markup('<input type="hidden" name="{}" value="{}">'
                  '<p class="draft-status" role="status" aria-live="polite" data-draft-status></p>').format(
        MARKER, escape(marker))


def init_drafts(app: Any) -> None:
    """Template helpers for long forms and the layout."""
    app.jinja_env.globals.update(draft_marker=draft_marker, draft_offer=draft_offer)
