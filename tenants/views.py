"""Tenant admin pages: users and roles, activation, the audit log."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kernel.errors import ServiceError
from kernel.i18n import today_tokyo
from kernel.views import act, show_refusal
from tenants import bp
from tenants.audit_excel import audit_workbook
from tenants.audit_labels import action_choices
from tenants.audit_queries import PAGE_SIZE, AuditFilter, export_audit, search_audit
from tenants.auth import not_found_or_denied, require_login, require_permission
from tenants.forms import AuditFilterForm, InviteForm, RolesForm
from tenants.invitations import invite_user, sso_issuer
from tenants.models import User
from tenants.roles import Permission
from tenants.services import end_all_sessions, get_user, list_users, set_active, set_roles


@bp.get("/")
@require_login
def admin_index() -> ResponseReturnValue:
    if not (current_user.can(Permission.TENANT_MANAGE_USERS) or current_user.can(Permission.TENANT_VIEW_AUDIT)):
        abort(403)
    return render_template("tenants/admin_index.html")


@bp.get("/users")
@require_permission(Permission.TENANT_MANAGE_USERS)
def users() -> ResponseReturnValue:
    return render_template("tenants/users.html", users=list_users(current_user.tenant_id))


def _load_user(user_id: int) -> User:
    user = get_user(current_user.tenant_id, user_id)
    if user is None:
        not_found_or_denied("user", user_id)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_USERS)
def user_detail(user_id: int) -> ResponseReturnValue:
    user = _load_user(user_id)
    form = RolesForm(data={"roles": sorted(user.roles)})
    status = 200
    if request.method == "POST":
        form = RolesForm()
        if form.validate_on_submit():
            try:
                set_roles(current_user, user, set(form.roles.data or []))
            except ServiceError as error:
                form.roles.errors = [error.message]
                status = 400
            else:
                flash(_("The roles were saved."), "success")
                return redirect(url_for("tenants.user_detail", user_id=user.id))
        else:
            status = 400
    return render_template("tenants/user_detail.html", user=user, form=form), status


@bp.post("/users/<int:user_id>/sessions/end")
@require_permission(Permission.TENANT_MANAGE_USERS)
def user_end_sessions(user_id: int) -> ResponseReturnValue:
    """A tenant admin logs a person out everywhere (their next request needs a new login)."""
    user = _load_user(user_id)
    try:
        count = end_all_sessions(current_user, user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("tenants.user_detail", user_id=user.id))
    flash(_("%(count)s session(s) of this person were ended.", count=count), "success")
    return redirect(url_for("tenants.user_detail", user_id=user.id))


@bp.route("/users/invite", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_USERS)
def user_invite() -> ResponseReturnValue:
    """Invite a person to the admin's own municipality (account made now, mail after the commit)."""
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = invite_user(current_user, form.email.data or "", form.display_name.data or "",
                                   set(form.roles.data or []), form.language.data or "ja")
            except ServiceError as error:
                show_refusal(error, form)
                status = 400
            else:
                flash(_("%(name)s was invited; the invitation mail is on its way.", name=user.display_name),
                      "success")
                return redirect(url_for("tenants.user_detail", user_id=user.id))
        else:
            status = 400
    sso_ready = sso_issuer(current_user.tenant_id) is not None
    return render_template("tenants/user_invite.html", form=form, sso_ready=sso_ready), status


def _wanted_active() -> bool:
    wanted = request.values.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    return wanted == "1"


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_USERS)
def user_set_active(user_id: int) -> ResponseReturnValue:
    """GET: the confirmation page (a plain form, no script needed); POST: deactivate or reactivate."""
    user = _load_user(user_id)
    active = _wanted_active()
    if request.method == "GET":
        return render_template("tenants/user_confirm_active.html", user=user, active=active)
    done = _("The account was reactivated.") if active else _("The account was deactivated; its sessions ended.")
    back = url_for("tenants.user_detail", user_id=user.id)
    return act(lambda: set_active(current_user, user, active), done, back)


def _audit_filter() -> tuple[AuditFilterForm, AuditFilter, bool]:
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("All actions")), *action_choices()]
    valid = form.validate()
    if valid and form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
        form.date_to.errors = [_("The end date is before the start date.")]
        valid = False
    if not valid:
        return form, AuditFilter(page=1), False
    return form, AuditFilter(action=form.action.data or None, person=form.person.data or None,
                             date_from=form.date_from.data, date_to=form.date_to.data,
                             outcome=form.outcome.data or None, page=form.page.data or 1), True


@bp.get("/audit")
@require_permission(Permission.TENANT_VIEW_AUDIT)
def audit_log() -> ResponseReturnValue:
    form, flt, valid = _audit_filter()
    rows, total = search_audit(current_user, flt) if valid else ([], 0)
    pages = max(1, -(-total // PAGE_SIZE))
    export_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("tenants/audit.html", form=form, rows=rows, total=total, page=flt.page,
                           pages=pages, export_args=export_args), (200 if valid else 400)


@bp.get("/audit.xlsx")
@require_permission(Permission.TENANT_VIEW_AUDIT)
def audit_export() -> ResponseReturnValue:
    """The filtered log as an Excel workbook (the same filter as the page, every page of it)."""
    form, flt, valid = _audit_filter()
    if not valid:
        return render_template("tenants/audit.html", form=form, rows=[], total=0, page=1, pages=1,
                               export_args={}), 400
    rows, truncated = export_audit(current_user, flt)
    data = audit_workbook(rows, truncated)
    name = f"audit-{current_user.tenant_id}-{today_tokyo().isoformat()}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
