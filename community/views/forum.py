"""The forum's index, bodies and their members, the action tracker of a body."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from community import access, bp, queries
from community.forms import BodyForm, MemberForm, choices
from community.services import bodies as body_services
from community.services.common import utcnow
from community.views.common import act, load_body, require_forum
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import current_lang, today_tokyo
from kernel.views import show_refusal
from tenants.auth import require_login, require_permission
from tenants.roles import Permission


@bp.get("/")
@require_login
def index() -> ResponseReturnValue:
    require_forum()
    return render_template("community/index.html", bodies=queries.list_bodies(),
                           upcoming=queries.upcoming_meetings(utcnow()),
                           waiting=queries.actions_waiting_for(current_user), today=today_tokyo(),
                           organiser=access.is_organiser(current_user), names=queries.tenant_names())


@bp.route("/bodies/new", methods=["GET", "POST"])
@require_permission(Permission.COMMUNITY_ORGANISE)
def body_new() -> ResponseReturnValue:
    form = BodyForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                body = body_services.create_body(current_user, form.name.data, form.kind.data,
                                                 form.description.data or "")
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The body was created. Add its member municipalities."), "success")
                return redirect(url_for("community.body", body_id=body.id))
    return render_template("community/body_form.html", form=form, body=None), status


@bp.get("/bodies/<int:body_id>")
@require_login
def body(body_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_body(body_id)
    organiser = access.is_organiser(current_user)
    member_form = None
    if organiser:
        member_form = MemberForm(prefix="member")
        member_form.tenant.choices = choices(_tenant_choices())
    return render_template("community/body.html", body=found, meetings=queries.meetings_of(found),
                           names=queries.tenant_names(), organiser=organiser,
                           is_member=access.is_member(current_user, found), member_form=member_form, now=utcnow())


def _tenant_choices() -> list[tuple[str, str]]:
    lang = current_lang()
    return [(code, t.name(lang)) for code, t in queries.tenant_names().items()]


@bp.route("/bodies/<int:body_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.COMMUNITY_ORGANISE)
def body_edit(body_id: int) -> ResponseReturnValue:
    found = load_body(body_id)
    form = BodyForm(obj=found) if request.method == "GET" else BodyForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                body_services.update_body(current_user, found, form.name.data, form.kind.data,
                                          form.description.data or "")
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The body was saved."), "success")
                return redirect(url_for("community.body", body_id=found.id))
    return render_template("community/body_form.html", form=form, body=found), status


@bp.post("/bodies/<int:body_id>/members")
@require_permission(Permission.COMMUNITY_ORGANISE)
def member_set(body_id: int) -> ResponseReturnValue:
    found = load_body(body_id)
    form = MemberForm(prefix="member")
    form.tenant.choices = choices(_tenant_choices())
    back = url_for("community.body", body_id=found.id) + "#members"
    if not form.validate_on_submit():
        flash(_("Choose a municipality and a role."), "error")
        return redirect(back, 303)
    return act(lambda: body_services.set_member(current_user, found, form.tenant.data, form.role.data,
                                                form.representative.data or ""),
               _("The member was saved."), back)


@bp.post("/bodies/<int:body_id>/members/<tenant_code>/remove")
@require_permission(Permission.COMMUNITY_ORGANISE)
def member_remove(body_id: int, tenant_code: str) -> ResponseReturnValue:
    found = load_body(body_id)
    if not confirmed() and would_succeed(lambda: body_services.remove_member(current_user, found, tenant_code)):
        return ask_confirmation(Confirmation(
            _("Remove this member from “%(name)s”?", name=found.name),
            [_("The municipality is no longer invited to the body's meetings and no longer sees its actions.")],
            _("Remove the member"), back=url_for("community.body", body_id=found.id) + "#members"))
    return act(lambda: body_services.remove_member(current_user, found, tenant_code),
               _("The member was removed."), url_for("community.body", body_id=found.id) + "#members")


@bp.get("/bodies/<int:body_id>/actions")
@require_login
def tracker(body_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_body(body_id)
    if not access.can_see_actions(current_user, found):
        abort(403)  # the body's actions are for its members and the secretariat
    actions = queries.actions_of_body(found)
    return render_template("community/tracker.html", body=found, rows=queries.tracker(found, today_tokyo()),
                           actions=actions, meetings=queries.meetings_by_id({a.meeting_id for a in actions}),
                           names=queries.tenant_names(), today=today_tokyo())
