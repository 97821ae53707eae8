"""Follow-up actions: created from a meeting (secretariat), their page, progress reports and links."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from community import access, bp, links, queries
from community.forms import LINK_LABELS, ActionForm, ActionUpdateForm, LinkForm, choices
from community.services import actions as action_services
from community.services.common import StaleError
from community.views.common import act, load_action, load_meeting, require_forum
from community.views.meetings import _action_choices
from kernel.errors import ServiceError
from kernel.i18n import today_tokyo
from tenants.auth import require_login, require_permission
from tenants.roles import Permission


@bp.post("/meetings/<int:meeting_id>/actions")
@require_permission(Permission.COMMUNITY_ORGANISE)
def action_add(meeting_id: int) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    form = ActionForm(prefix="action")
    _action_choices(form, meeting, queries.registrations(meeting), queries.tenant_names())
    back = url_for("community.meeting", meeting_id=meeting.id) + "#actions"
    if not form.validate_on_submit():
        flash(_("Enter the action, its owner municipality and its due date."), "error")
        return redirect(back, 303)
    data = action_services.ActionData(
        title=form.title.data or "", description=form.description.data or "", owner_tenant=form.owner_tenant.data,
        owner_registration_id=form.owner_person.data or None, due_on=form.due_on.data,
        agenda_item_id=form.agenda_item_id.data or None)
    return act(lambda: action_services.create_action(current_user, meeting, data),
               _("The action was recorded and its owner was told."), back)


def _link_form() -> LinkForm:
    form = LinkForm(prefix="link")
    form.kind.choices = choices([(k, str(LINK_LABELS[k])) for k in links.available_kinds()])
    return form


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@require_login
def action(action_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_action(action_id)
    can_update = access.can_update_action(current_user, found)
    form = ActionUpdateForm(prefix="update", obj=found) if request.method == "GET" else ActionUpdateForm(
        prefix="update")
    if request.method == "GET":
        form.version.data = str(found.version)
    status = 200
    error = None
    if request.method == "POST":
        if not can_update:
            abort(403)
        status = 400
        if form.validate_on_submit():
            try:
                version = int(form.version.data or "")
            except ValueError:
                version = -1
            try:
                action_services.update_action(current_user, found, form.status.data, form.progress.data,
                                              form.note.data or "", version)
            except ServiceError as refused:
                error = refused.message
                status = 409 if isinstance(refused, StaleError) else 400
            else:
                flash(_("The action was updated."), "success")
                return redirect(url_for("community.action", action_id=found.id))
    meeting = load_meeting(found.meeting_id)
    return render_template("community/action.html", action=found, meeting=meeting, body=meeting.body, form=form,
                           link_form=_link_form() if can_update else None, can_update=can_update, error=error,
                           names=queries.tenant_names(), today=today_tokyo(), link_url=links.link_url,
                           link_labels=LINK_LABELS), status


@bp.post("/actions/<int:action_id>/links")
@require_login
def action_link(action_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_action(action_id)
    back = url_for("community.action", action_id=found.id) + "#links"
    if not access.can_update_action(current_user, found):
        flash(_("Only the owner or the secretariat can update this action."), "error")
        return redirect(back, 303)
    form = _link_form()
    if not form.validate_on_submit():
        flash(_("Choose what to link and enter its number."), "error")
        return redirect(back, 303)
    return act(lambda: action_services.add_link(current_user, found, form.kind.data, form.target_id.data),
               _("The link was added."), back)
