"""No typed work is lost (issue 17.3): autosaved drafts, the idle warning's extend button, and a form sent
after the session ended kept as a draft instead of dropped.

- ``POST /drafts/save``: drafts.js sends a long form's fields while the person types (CSRF header).
- ``POST /drafts/discard``: 破棄する of the 「下書きを復元しますか」 offer.
- ``GET /session/status`` / ``POST /session/extend``: the idle warning asks how long is left (without
  counting as activity) and restarts the idle limit when the person presses the button.
- A long form POSTed after the session ended — idle or absolute expiry (Flask-Login's unauthorized
  path) or a logout in another tab (then the CSRF token is gone and the CSRF check fails) — is kept as
  a ``posted`` draft of the person the cookie still proves (``tenants.auth.proven_identity``: the
  server-side session row its secret names) and only when the form's signed marker names that same
  person and form. It is never executed: the person logs in again and finds the text back in the form.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, Flask, Response, flash, g, jsonify, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_login.utils import login_url
from flask_wtf.csrf import CSRFError

from kernel import drafts
from kernel.errors import csrf_refused
from kernel.extensions import db, login_manager
from kernel.urls import safe_next
from tenants.auth import extend_session, proven_identity, require_login, session_expires_in
from tenants.context import as_tenant

bp = Blueprint("drafts", __name__)

# A request another site made the browser send is never kept (SameSite=Lax keeps the cookie off a
# cross-site POST anyway; this is the second lock).
_SAME_SITE = ("same-origin", "none")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


@bp.post("/drafts/save")
def save_draft() -> ResponseReturnValue:
    """drafts.js: keep what the person has typed so far (also once the idle limit has passed)."""
    marked = drafts.read_marker(request.form.get(drafts.MARKER))
    if marked is None:
        return jsonify({"saved": False}), 400
    if current_user.is_authenticated:
        identity: Optional[tuple[str, int]] = (current_user.tenant_id, current_user.id)
    else:
        identity = proven_identity()
    if identity is None or identity != (marked[0], marked[1]):
        return jsonify({"saved": False}), 403
    fields = drafts.fields_of(request.form)
    if fields is None:
        return jsonify({"saved": False}), 413
    with as_tenant(*identity):
        # An autosave still on its way when the form itself was saved must not bring the draft back: both
        # take the draft's lock, and once the form's one-time token is claimed (committed with the
        # saved form) the autosave is too late and keeps nothing.
        drafts.lock(identity[0], identity[1], marked[2])
        if _already_submitted(identity, request.form.get(drafts.PAGE_TOKEN)):
            return jsonify({"saved": False, "submitted": True, "expires_in": session_expires_in() or 0})
        drafts.save(identity[0], identity[1], marked[2], fields)
        db.session.flush()
    return jsonify({"saved": True, "expires_in": session_expires_in() or 0})


def _already_submitted(identity: tuple[str, int], page_token: Optional[str]) -> bool:
    if not page_token:
        return False
    from portal.idempotency import IdempotencyKey

    return db.session.get(IdempotencyKey, (identity[0], identity[1], page_token[:64])) is not None


@bp.post("/drafts/discard")
@require_login
def discard_draft() -> ResponseReturnValue:
    """破棄する: forget the draft of one form and show the form empty (or as saved)."""
    key = request.form.get("key", "")
    if not key.startswith("/") or len(key) > drafts.MAX_KEY_LENGTH:
        return jsonify({"discarded": False}), 400
    drafts.discard(current_user.tenant_id, current_user.id, key)
    flash(_("The draft was discarded."), "info")
    return redirect(safe_next(key), 303)


@bp.get("/session/status")
def session_status() -> ResponseReturnValue:
    """The idle warning's question: how many seconds are left (asking does not count as activity)."""
    if not current_user.is_authenticated:
        return jsonify({"authenticated": False, "expires_in": 0})
    return jsonify({"authenticated": True, "expires_in": session_expires_in()})


@bp.post("/session/extend")
@require_login
def session_extend() -> ResponseReturnValue:
    """The idle warning's button: restart the idle limit (a plain form without script)."""
    left = extend_session()
    if _wants_json():
        return jsonify({"authenticated": True, "expires_in": left})
    flash(_("You stay logged in."), "success")
    return redirect(safe_next(request.form.get("next")), 303)


def keep_posted_form() -> bool:
    """A long form sent without a live session (or with a dead CSRF token): keep its fields as a draft of
    the person it was shown to, when the cookie still proves that person. Nothing of it is executed."""
    if request.method != "POST" or not drafts.is_draftable(request.endpoint):
        return False
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in _SAME_SITE:
        return False
    marked = drafts.read_marker(request.form.get(drafts.MARKER))
    if marked is None or marked[2] != request.path:
        return False
    identity = proven_identity()
    if identity is None or identity != (marked[0], marked[1]):
        return False  # e.g. someone else logged in since in this browser: never hand them this text
    fields = drafts.fields_of(request.form)
    if fields is None:
        return False
    with as_tenant(*identity):
        drafts.save(identity[0], identity[1], request.path, fields, kind=drafts.POSTED)
        db.session.flush()
    g.draft_kept = True
    return True


def _unauthorized() -> ResponseReturnValue:
    """Not logged in (never was, or the session ended): to the login page, and back here afterwards."""
    if keep_posted_form():
        session["login_reason"] = "kept"
    return redirect(login_url(login_manager.login_view, request.url))


def _csrf_failed(error: CSRFError) -> Response:
    if keep_posted_form():
        if current_user.is_authenticated:  # logged in again meanwhile (as the same person): back to the form
            flash(_("The form had expired, so it was not saved. What you typed has been kept."), "info")
            return redirect(request.path, 303)  # type: ignore[return-value]
        session["login_reason"] = "kept"
        return redirect(login_url(login_manager.login_view, request.path), 303)  # type: ignore[return-value]
    return csrf_refused()


def _discard_when_saved(response: Response) -> Response:
    """A long form saved successfully (it redirects): its draft is no longer needed."""
    if (request.method == "POST" and 300 <= response.status_code < 400 and drafts.is_draftable(request.endpoint)
            and not g.get("draft_kept") and current_user.is_authenticated):
        drafts.lock(current_user.tenant_id, current_user.id, request.path)
        drafts.discard(current_user.tenant_id, current_user.id, request.path)
    return response


def init_app(app: Flask) -> None:
    """Register after the lifecycle hooks (after_request hooks run last-registered first: the draft is
    deleted before the request's commit) and after the kernel's CSRF handler (this one replaces it)."""
    app.register_blueprint(bp)
    app.after_request(_discard_when_saved)
    app.register_error_handler(CSRFError, _csrf_failed)
    login_manager.unauthorized_handler(_unauthorized)
    drafts.init_drafts(app)
    app.jinja_env.globals["session_expires_in"] = session_expires_in  # the idle warning's timer (base.html)
