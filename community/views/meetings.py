"""A meeting: its page (agenda as the reader may see it), schedule, items, RSVP, materials and .ics file."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from community import access, bp, queries
from community.calendar import meeting_ics
from community.forms import ActionForm, ItemForm, MaterialForm, MeetingForm, RegisterForm, choices
from community.models import Meeting
from community.services import meetings as meeting_services
from community.services.common import utcnow
from community.views.common import act, aware, load_body, load_meeting, local, require_forum
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import current_lang, today_tokyo
from kernel.uploads import read_upload
from kernel.views import show_refusal
from tenants.auth import not_found_or_denied, require_login, require_permission
from tenants.roles import Permission


def _data(form: MeetingForm) -> meeting_services.MeetingData:
    return meeting_services.MeetingData(title=form.title.data or "", starts_at=aware(form.starts_at.data),
                                        ends_at=aware(form.ends_at.data), location=form.location.data or "",
                                        online_url=form.online_url.data or "")


@bp.route("/bodies/<int:body_id>/meetings/new", methods=["GET", "POST"])
@require_permission(Permission.COMMUNITY_ORGANISE)
def meeting_new(body_id: int) -> ResponseReturnValue:
    body = load_body(body_id)
    form = MeetingForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                meeting = meeting_services.create_meeting(current_user, body, _data(form))
                meeting_services.announce(meeting)
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The meeting was scheduled and the member municipalities were told. Add its agenda."),
                      "success")
                return redirect(url_for("community.meeting", meeting_id=meeting.id))
    return render_template("community/meeting_form.html", form=form, body=body, meeting=None), status


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.COMMUNITY_ORGANISE)
def meeting_edit(meeting_id: int) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    form = MeetingForm(obj=meeting) if request.method == "GET" else MeetingForm()
    if request.method == "GET":
        form.starts_at.data, form.ends_at.data = local(meeting.starts_at), local(meeting.ends_at)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                meeting_services.update_meeting(current_user, meeting, _data(form))
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The meeting was saved."), "success")
                return redirect(url_for("community.meeting", meeting_id=meeting.id))
    return render_template("community/meeting_form.html", form=form, body=meeting.body, meeting=meeting), status


def _page_context(meeting: Meeting) -> dict[str, Any]:
    body = meeting.body
    member = access.is_member(current_user, body)
    organiser = access.is_organiser(current_user)
    materials = [m for m in queries.materials_of(meeting)
                 if m.agenda_item_id is None or member or not _closed(meeting, m.agenda_item_id)]
    context: dict[str, Any] = {
        "meeting": meeting, "body": body, "member": member, "organiser": organiser, "materials": materials,
        "readable": {i.id for i in meeting.items if access.can_read_item(current_user, body, i)},
        "registration": queries.registration_of(current_user, meeting),
        "registrations": queries.registrations(meeting) if member else [],
        "minutes": queries.minutes_of(meeting), "now": utcnow(), "today": today_tokyo(),
        "names": queries.tenant_names(),
        "actions": queries.actions_of_meeting(meeting) if member else [],
        "can_register": access.can_participate(current_user) and meeting.ends_at > utcnow()
        and meeting.status == "scheduled",
    }
    if organiser:
        item_form = ItemForm(prefix="item")
        material_form = MaterialForm(prefix="material")
        material_form.agenda_item_id.choices = choices(
            [(0, _("Whole meeting"))] + [(i.id, i.title) for i in meeting.items])
        action_form = ActionForm(prefix="action")
        _action_choices(action_form, meeting, context["registrations"], context["names"])
        context.update(item_form=item_form, material_form=material_form, action_form=action_form)
    return context


def _action_choices(form: ActionForm, meeting: Meeting, registrations: list[Any], names: dict[str, Any]) -> None:
    lang = current_lang()
    members = [m.member_tenant for m in meeting.body.members]
    form.owner_tenant.choices = choices([(code, names[code].name(lang)) for code in members if code in names])
    form.owner_person.choices = choices([(0, _("The municipality (its administrators)"))] + [
        (r.id, f"{r.display_name}（{names[r.attendee_tenant].name(lang)}）") for r in registrations if r.attends])
    form.agenda_item_id.choices = choices([(0, "—")] + [(i.id, i.title) for i in meeting.items])


def _closed(meeting: Meeting, item_id: int) -> bool:
    item = queries.get_item(meeting, item_id)
    return item is None or item.is_closed


@bp.get("/meetings/<int:meeting_id>")
@require_login
def meeting(meeting_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_meeting(meeting_id)
    register_form = RegisterForm(prefix="rsvp")
    context = _page_context(found)
    if context["registration"] is not None:
        register_form.attendance.data = context["registration"].attendance
    return render_template("community/meeting.html", register_form=register_form, **context)


@bp.post("/meetings/<int:meeting_id>/cancel")
@require_permission(Permission.COMMUNITY_ORGANISE)
def meeting_cancel(meeting_id: int) -> ResponseReturnValue:
    found = load_meeting(meeting_id)
    if not confirmed() and would_succeed(lambda: meeting_services.cancel_meeting(current_user, found)):
        return ask_confirmation(Confirmation(
            _("Cancel the meeting “%(title)s”?", title=found.title),
            [_("Everyone registered is told that the meeting is cancelled. A cancelled meeting cannot be reopened.")],
            _("Cancel the meeting"), back=url_for("community.meeting", meeting_id=found.id)))
    return act(lambda: meeting_services.cancel_meeting(current_user, found),
               _("The meeting was cancelled and the registered people were told."),
               url_for("community.meeting", meeting_id=found.id))


@bp.post("/meetings/<int:meeting_id>/items")
@require_permission(Permission.COMMUNITY_ORGANISE)
def item_add(meeting_id: int) -> ResponseReturnValue:
    found = load_meeting(meeting_id)
    form = ItemForm(prefix="item")
    if not form.validate_on_submit():
        context = _page_context(found)
        context["item_form"] = form
        return render_template("community/meeting.html", register_form=RegisterForm(prefix="rsvp"), **context), 400
    return act(lambda: meeting_services.add_item(current_user, found, form.title.data, form.description.data or "",
                                                 form.visibility.data),
               _("The agenda item was added."), url_for("community.meeting", meeting_id=found.id) + "#agenda")


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>")
@require_permission(Permission.COMMUNITY_ORGANISE)
def item_edit(meeting_id: int, item_id: int) -> ResponseReturnValue:
    found = load_meeting(meeting_id)
    item = queries.get_item(found, item_id)
    if item is None:
        abort(404)
    form = ItemForm(prefix=f"item-{item.id}")
    back = url_for("community.meeting", meeting_id=found.id) + "#agenda"
    if not form.validate_on_submit():
        flash(_("Enter a title of at most 200 characters."), "error")
        return redirect(back, 303)
    return act(lambda: meeting_services.update_item(current_user, found, item, form.title.data,
                                                    form.description.data or "", form.visibility.data),
               _("The agenda item was saved."), back)


@bp.post("/meetings/<int:meeting_id>/register")
@require_permission(Permission.COMMUNITY_PARTICIPATE)
def register(meeting_id: int) -> ResponseReturnValue:
    found = load_meeting(meeting_id)
    form = RegisterForm(prefix="rsvp")
    back = url_for("community.meeting", meeting_id=found.id) + "#rsvp"
    if not form.validate_on_submit():
        flash(_("Choose how you will take part."), "error")
        return redirect(back, 303)
    labels = {"in_person": _("You are registered to attend in person."),
              "online": _("You are registered to attend online."),
              "declined": _("Your answer was saved: not attending.")}
    return act(lambda: meeting_services.register(current_user, found, form.attendance.data),
               labels.get(form.attendance.data or "", ""), back)


@bp.get("/meetings/<int:meeting_id>/calendar.ics")
@require_login
def meeting_calendar(meeting_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_meeting(meeting_id)
    lines = []
    for n, item in enumerate(found.items, 1):
        closed = " " + _("(closed)") if item.is_closed else ""
        lines.append(f"{n}. {item.title}{closed}")
    url = url_for("community.meeting", meeting_id=found.id, _external=True)
    data = meeting_ics(found, lines, url, request.host.split(":")[0] or "yokoten", utcnow())
    return Response(data, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="meeting-{found.id}.ics"', "Cache-Control": "no-store"})


@bp.post("/meetings/<int:meeting_id>/materials")
@require_permission(Permission.COMMUNITY_ORGANISE)
def material_add(meeting_id: int) -> ResponseReturnValue:
    found = load_meeting(meeting_id)
    form = MaterialForm(prefix="material")
    form.agenda_item_id.choices = choices([(0, "")] + [(i.id, i.title) for i in found.items])
    back = url_for("community.meeting", meeting_id=found.id) + "#materials"
    upload = request.files.get("material-file")
    if not form.validate_on_submit() or upload is None:
        flash(_("Enter a title and choose a file."), "error")
        return redirect(back, 303)
    item = queries.get_item(found, form.agenda_item_id.data) if form.agenda_item_id.data else None
    filename, data = read_upload(upload)  # at most one byte past the limit is read
    return act(lambda: meeting_services.add_material(current_user, found, item, form.title.data, filename, data),
               _("The material was added."), back)


@bp.get("/meetings/<int:meeting_id>/materials/<int:material_id>")
@require_login
def material(meeting_id: int, material_id: int) -> ResponseReturnValue:
    require_forum()
    found = load_meeting(meeting_id)
    row = queries.get_material(found, material_id)
    if row is None:
        abort(404)
    if row.agenda_item_id is not None and _closed(found, row.agenda_item_id) \
            and not access.is_member(current_user, found.body):
        not_found_or_denied("community_material", material_id)
    from urllib.parse import quote

    return Response(row.data, mimetype=row.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@bp.post("/meetings/<int:meeting_id>/materials/<int:material_id>/delete")
@require_permission(Permission.COMMUNITY_ORGANISE)
def material_delete(meeting_id: int, material_id: int) -> ResponseReturnValue:
    found = load_meeting(meeting_id)
    row = queries.get_material(found, material_id)
    if row is None:
        abort(404)
    if not confirmed() and would_succeed(lambda: meeting_services.delete_material(current_user, row)):
        return ask_confirmation(Confirmation(
            _("Remove the material “%(title)s”?", title=row.title),
            [_("The file is deleted from the meeting and cannot be restored.")],
            _("Remove the material"), back=url_for("community.meeting", meeting_id=found.id) + "#materials"))
    return act(lambda: meeting_services.delete_material(current_user, row), _("The material was removed."),
               url_for("community.meeting", meeting_id=found.id) + "#materials")
