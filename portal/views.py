"""Home, login page, development login, logout, language switch, health probes."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select, text

from kernel import audit
from kernel.dashboard import FigureCount, dashboard_for, register_figures
from kernel.extensions import db
from kernel.i18n import SUPPORTED
from kernel.navigation import register_nav_entry
from kernel.urls import safe_next
from kernel.waiting import VIEWER_TENANT
from portal.app import migration_head
from portal.home_html import dashboard_content
from tenants.auth import end_session, require_login, start_session
from tenants.context import as_tenant
from tenants.models import Tenant, User, is_tenant_code
from tenants.roles import Permission

bp = Blueprint("portal", __name__, template_folder="templates")
register_nav_entry(10, _l("Home"), "portal.home", lambda u: True, section=None)


_ACTIVE_ACCOUNTS = select(func.count()).select_from(User).where(User.tenant_id == VIEWER_TENANT,
                                                                User.is_active.is_(True))


@register_figures(fixed=True)
def _people_figures(user: User) -> list[FigureCount]:
    """Active accounts of the user's municipality (RLS already limits the count to it)."""
    url = url_for("tenants.users") if user.can(Permission.TENANT_MANAGE_USERS) else None
    return [FigureCount(_("Active accounts"), _ACTIVE_ACCOUNTS, url)]


@bp.get("/")
@require_login
def home() -> ResponseReturnValue:
    # The person, not the proxy: the providers ask it a few dozen times (permissions, tenant), each through the
    # proxy's lookup otherwise.
    user = current_user._get_current_object()
    figures, waiting = dashboard_for(user)
    return render_template("portal/home.html", content=dashboard_content(user, figures, waiting))


@bp.get("/login")
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    dev_users = []
    if current_app.config.get("DEV_LOGIN_ENABLED"):
        # Development login only (refused in production by kernel.config): the demo accounts are
        # development code, imported here and only here (allowed by name in pyproject's contracts).
        from devtools.demo import DEMO_USERS

        names = {t.code: t for t in db.session.scalars(select(Tenant).where(
            Tenant.code.in_({u.tenant_code for u in DEMO_USERS})))}
        dev_users = [(u, names.get(u.tenant_code)) for u in DEMO_USERS]
    providers = current_app.extensions.get("yokoten_login_options", [])
    reason = session.pop("login_reason", None)
    return render_template("portal/login.html", dev_users=dev_users, next=request.args.get("next", ""),
                           login_options=providers, reason=LOGIN_REASONS.get(reason or ""))


# Why the person is on the login page (set where the session ended), said in their language.
LOGIN_REASONS = {
    "expired": _l("Your session ended because nothing happened for a while. Log in again to continue."),
    "ended": _l("You were logged out (for example in another tab). Log in again to continue."),
    "logged_out": _l("You have logged out."),
    "kept": _l("Your session had ended, so the form you sent was not saved. What you typed is kept: log in again "
               "to get it back."),
}


@bp.post("/dev-login")
def dev_login() -> ResponseReturnValue:
    """Development only: log in as a demo user without an identity provider."""
    if not current_app.config.get("DEV_LOGIN_ENABLED"):
        abort(404)
    tenant_code = request.form.get("tenant", "")
    email = request.form.get("email", "").strip().lower()
    if not is_tenant_code(tenant_code) or not email:
        abort(400)
    with as_tenant(tenant_code):
        user = db.session.scalar(select(User).where(User.tenant_id == tenant_code, User.email == email))
    if user is None or not user.is_active:
        audit.record_always("auth.login_refused", "user", email, tenant_id=tenant_code)
        return render_template("portal/login.html", dev_users=[], next="", login_options=[],
                               error=_("This account does not exist or has been deactivated.")), 400
    start_session(user, "dev")
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    ended = end_session()
    hook = current_app.extensions.get("yokoten_logout_redirect")
    target = hook(ended) if ended is not None and hook is not None else None
    if ended is not None:
        # The ID token was kept only as the hint for the provider's logout (just used): a full
        # identity token has no business in the database once the session is over.
        ended.id_token_hint = None
    session["login_reason"] = "logged_out"
    return redirect(target or url_for("portal.login"))


@bp.post("/lang")
def switch_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang not in SUPPORTED:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:  # their mails follow the language they read the portal in
        from kernel.notifications.service import remember_language

        remember_language(current_user.tenant_id, current_user.id, lang)
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Database reachable and its schema one this code serves (rolling upgrades: portal/upgrades.py)."""
    from portal.upgrades import schema_status

    try:
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        head = migration_head()
        status, ready = schema_status(current, head)
    except Exception:  # noqa: BLE001 - any failure means "not ready", answered as JSON
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": False}), 503
    return jsonify({"status": status, "database": True, "migration": current, "head": head}), (200 if ready else 503)
