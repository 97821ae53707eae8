"""Minutes of a meeting: the draft (secretariat), review and amendments (attendees), the published record."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from community import access, bp, queries
from community.forms import AmendmentForm, DecisionForm, PublishForm, ReviewForm, choices
from community.models import Meeting
from community.services import minutes as minute_services
from community.services.common import StaleError, utcnow
from community.views.common import act, load_meeting, require_forum
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from tenants.auth import require_login, require_permission
from tenants.roles import Permission


def _context(meeting: Meeting) -> dict[str, Any]:
    minutes = queries.minutes_of(meeting)
    organiser = access.is_organiser(current_user)
    attendee = minute_services.is_attendee(current_user, meeting)
    amendment_form = None
    if attendee and minute_services.review_open(minutes):
        amendment_form = AmendmentForm(prefix="amend")
        amendment_form.agenda_item_id.choices = choices([
            (i.id, i.title) for i in meeting.items if access.can_read_item(current_user, meeting.body, i)])
    return {
        "meeting": meeting, "body": meeting.body, "minutes": minutes, "organiser": organiser, "attendee": attendee,
        "readable": {i.id for i in meeting.items if access.can_read_item(current_user, meeting.body, i)},
        "amendments": queries.amendments_of(meeting, current_user) if (organiser or attendee) else [],
        "review_open": minute_services.review_open(minutes), "amendment_form": amendment_form,
        "review_form": ReviewForm(prefix="review"), "publish_form": PublishForm(prefix="publish"),
        "decision_form": DecisionForm(prefix="decision"), "names": queries.tenant_names(), "now": utcnow(),
    }


@bp.get("/meetings/<int:meeting_id>/minutes")
@require_login
def minutes(meeting_id: int) -> ResponseReturnValue:
    require_forum()
    meeting = load_meeting(meeting_id)
    context = _context(meeting)
    found = context["minutes"]
    # A draft is the secretariat's; during review the attendees read it too; once published, everyone.
    if found is None or (found.status == "draft" and not context["organiser"]) or (
            found.status == "review" and not (context["organiser"] or context["attendee"])):
        if context["organiser"]:
            return redirect(url_for("community.minutes_edit", meeting_id=meeting.id))
        return render_template("community/minutes_pending.html", meeting=meeting), 404
    return render_template("community/minutes.html", **context)


@bp.route("/meetings/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
@require_permission(Permission.COMMUNITY_ORGANISE)
def minutes_edit(meeting_id: int) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    found = queries.minutes_of(meeting)
    error = None
    status = 200
    if request.method == "POST":
        sections = {item.id: request.form.get(f"section-{item.id}", "") for item in meeting.items}
        try:
            version = int(request.form.get("version", ""))
        except ValueError:
            version = -1
        try:
            minute_services.save_draft(current_user, meeting, request.form.get("summary", ""), sections, version)
        except ServiceError as refused:
            error = refused.message
            status = 409 if isinstance(refused, StaleError) else 400
        else:
            flash(_("The draft minutes were saved."), "success")
            return redirect(url_for("community.minutes", meeting_id=meeting.id))
    return render_template("community/minutes_form.html", meeting=meeting, minutes=found, error=error,
                           form=request.form if request.method == "POST" else None), status


@bp.post("/meetings/<int:meeting_id>/minutes/review")
@require_permission(Permission.COMMUNITY_ORGANISE)
def minutes_review(meeting_id: int) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    form = ReviewForm(prefix="review")
    back = url_for("community.minutes", meeting_id=meeting.id)
    if not form.validate_on_submit():
        flash(_("Choose a review period of 1 to %(n)d days.", n=minute_services.MAX_REVIEW_DAYS), "error")
        return redirect(back, 303)
    return act(lambda: minute_services.open_review(current_user, meeting, int(form.days.data or 0)),
               _("The draft is open to the attendees for amendments."), back)


@bp.post("/meetings/<int:meeting_id>/minutes/amendments")
@require_permission(Permission.COMMUNITY_PARTICIPATE)
def amendment_propose(meeting_id: int) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    form = AmendmentForm(prefix="amend")
    form.agenda_item_id.choices = choices([(i.id, i.title) for i in meeting.items])
    back = url_for("community.minutes", meeting_id=meeting.id) + "#amendments"
    if not form.validate_on_submit():
        flash(_("Choose a section and enter the wording you propose."), "error")
        return redirect(back, 303)
    item = queries.get_item(meeting, form.agenda_item_id.data)
    if item is None:
        abort(404)
    return act(lambda: minute_services.propose_amendment(current_user, meeting, item, form.proposed_text.data,
                                                         form.reason.data or ""),
               _("Your amendment was sent to the secretariat."), back)


@bp.post("/meetings/<int:meeting_id>/minutes/amendments/<int:amendment_id>/<any(accept,reject):decision>")
@require_permission(Permission.COMMUNITY_ORGANISE)
def amendment_decide(meeting_id: int, amendment_id: int, decision: str) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    amendment = queries.get_amendment(meeting, amendment_id)
    if amendment is None:
        abort(404)
    form = DecisionForm(prefix="decision")
    form.validate_on_submit()
    accept = decision == "accept"
    return act(lambda: minute_services.decide_amendment(current_user, meeting, amendment, accept,
                                                        form.note.data or ""),
               _("The amendment was accepted and applied.") if accept else _("The amendment was rejected."),
               url_for("community.minutes", meeting_id=meeting.id) + "#amendments")


@bp.post("/meetings/<int:meeting_id>/minutes/publish")
@require_permission(Permission.COMMUNITY_ORGANISE)
def minutes_publish(meeting_id: int) -> ResponseReturnValue:
    meeting = load_meeting(meeting_id)
    form = PublishForm(prefix="publish")
    form.validate_on_submit()
    close_early = bool(form.close_review_early.data)
    if not confirmed() and would_succeed(lambda: minute_services.publish(current_user, meeting, close_early)):
        return ask_confirmation(Confirmation(
            _("Publish the minutes of “%(title)s”?", title=meeting.title),
            [_("The minutes become final and readable by every member of the body; amendments are closed.")],
            _("Publish the minutes"), back=url_for("community.minutes", meeting_id=meeting.id)))
    return act(lambda: minute_services.publish(current_user, meeting, bool(form.close_review_early.data)),
               _("The minutes were published."), url_for("community.minutes", meeting_id=meeting.id))
