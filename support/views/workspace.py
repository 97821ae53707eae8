"""The engagement workspace (meetings, actions, files, time, outcomes) and its closing (survey, hand-over)."""
from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kernel import uploads
from kernel.errors import ServiceError
from kernel.views import act, show_refusal
from support import access, bp, queries
from support.forms import (
    ActionForm,
    FileForm,
    HandoverForm,
    MeetingForm,
    OutcomeForm,
    SurveyForm,
    TimeLogForm,
    VersionForm,
    version_of,
)
from support.models import Engagement
from support.services import closing, workspace
from support.views.common import load, require
from tenants.auth import require_login


def workspace_context(engagement: Engagement) -> dict[str, Any]:
    """What the engagement page shows of the workspace, with empty forms carrying fresh tokens."""
    assignments = queries.assignments(engagement)
    forms: dict[str, Any] = {"meeting_form": MeetingForm(formdata=None), "action_form": ActionForm(formdata=None),
                             "time_form": TimeLogForm(formdata=None)}
    for form in forms.values():
        form.fill_token()
    logs = queries.time_logs(engagement)
    return {
        **forms, "file_form": FileForm(formdata=None), "outcome_form": OutcomeForm(formdata=None),
        "survey_form": SurveyForm(formdata=None), "assignments": assignments,
        "can_work": access.can_work(current_user, engagement, assignments),
        "is_assigned": access.is_assigned(current_user, assignments),
        "meetings": queries.meetings(engagement), "actions": queries.actions(engagement),
        "files": queries.files(engagement), "time_logs": logs,
        "total_hours": sum(t.minutes for t in logs) / 60, "outcomes": queries.outcomes(engagement),
        "survey": queries.survey(engagement), "timeline": queries.timeline(engagement),
    }


def _back(engagement: Engagement, anchor: str) -> Any:
    return redirect(url_for("support.detail", engagement_id=engagement.id) + anchor, 303)


def _submit(engagement: Engagement, form: Any, anchor: str, done: str, write: Any) -> Any:
    if not form.validate_on_submit():
        for name, messages in form.errors.items():
            label = getattr(getattr(form, name, None), "label", None)
            text = " ".join(str(m) for m in messages)
            flash(f"{label.text}: {text}" if label else text, "error")
        return _back(engagement, anchor)
    return act(write, done, back=url_for("support.detail", engagement_id=engagement.id) + anchor, status=303)


@bp.post("/<int:engagement_id>/meetings")
@require_login
def meeting_add(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    form = MeetingForm()
    return _submit(engagement, form, "#meetings", _("The meeting was recorded."), lambda: workspace.add_meeting(
        current_user, engagement, form.held_on.data, form.title.data or "", form.attendees.data or "",
        form.notes.data or "", form.form_token.data))


@bp.post("/<int:engagement_id>/actions")
@require_login
def action_add(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    form = ActionForm()
    return _submit(engagement, form, "#actions", _("The next action was added."), lambda: workspace.add_action(
        current_user, engagement, form.title.data or "", form.owner_name.data or "", form.due_on.data,
        form.form_token.data))


@bp.post("/<int:engagement_id>/actions/<int:action_id>/done")
@require_login
def action_done(engagement_id: int, action_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    return _submit(engagement, VersionForm(), "#actions", _("The action was marked done."),
                   lambda: workspace.complete_action(current_user, engagement, action_id))


@bp.post("/<int:engagement_id>/time")
@require_login
def time_add(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    form = TimeLogForm()
    return _submit(engagement, form, "#time", _("The time was logged."), lambda: workspace.log_time(
        current_user, engagement, form.logged_on.data, form.activity.data or "", form.hours.data,
        form.note.data or "", form.form_token.data))


@bp.post("/<int:engagement_id>/files")
@require_login
def file_add(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    form = FileForm()
    name, data = uploads.read_upload(request.files.get("file"))
    return _submit(engagement, form, "#files", _("The file was added."), lambda: workspace.add_file(
        current_user, engagement, name or "", data, kind="deliverable", title=form.title.data or ""))


@bp.get("/<int:engagement_id>/files/<int:file_id>")
@require_login
def file_download(engagement_id: int, file_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    row = queries.get_file(engagement, file_id)
    if row is None:
        abort(404)
    return send_file(io.BytesIO(row.data), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename, max_age=0)


def _outcome_values(form: OutcomeForm) -> dict[str, Any]:
    return {"indicator": form.indicator.data, "label": form.label.data, "unit": form.unit.data,
            "baseline_value": form.baseline_value.data, "baseline_on": form.baseline_on.data,
            "baseline_source": form.baseline_source.data, "after_value": form.after_value.data,
            "after_on": form.after_on.data, "after_source": form.after_source.data}


@bp.post("/<int:engagement_id>/outcomes")
@require_login
def outcome_add(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    form = OutcomeForm()
    return _submit(engagement, form, "#outcomes", _("The indicator was saved."), lambda: workspace.save_outcome(
        current_user, engagement, _outcome_values(form)))


@bp.route("/<int:engagement_id>/outcomes/<int:outcome_id>", methods=["GET", "POST"])
@require_login
def outcome_edit(engagement_id: int, outcome_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    outcome = next((o for o in queries.outcomes(engagement) if o.id == outcome_id), None)
    if outcome is None:
        abort(404)
    require(access.can_work(current_user, engagement, queries.assignments(engagement)))
    if request.method == "GET":
        form = OutcomeForm(obj=outcome)
        form.version.data = str(outcome.version)
        for name in ("baseline_value", "after_value"):
            value = getattr(outcome, name)
            getattr(form, name).data = "" if value is None else closing._number(value)
        return render_template("support/outcome_form.html", engagement=engagement, outcome=outcome, form=form)
    form = OutcomeForm()
    status = 400
    if form.validate_on_submit():
        try:
            workspace.save_outcome(current_user, engagement, _outcome_values(form), outcome,
                                   version_of(form.version.data))
        except ServiceError as error:
            show_refusal(error, form)
            status = 409 if error.__class__.__name__ == "StaleVersion" else 400
        else:
            flash(_("The indicator was saved."), "success")
            return _back(engagement, "#outcomes")
    return render_template("support/outcome_form.html", engagement=engagement, outcome=outcome, form=form), status


@bp.post("/<int:engagement_id>/survey")
@require_login
def survey(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    form = SurveyForm()
    return _submit(engagement, form, "#survey", _("Thank you for answering the survey."), lambda: closing.answer_survey(
        current_user, engagement, form.csat.data, form.comment.data or ""))


@bp.route("/<int:engagement_id>/handover", methods=["GET", "POST"])
@require_login
def handover(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    require(access.is_requester_side(current_user, engagement) and engagement.stage == "done")
    if engagement.case_id is not None:
        flash(_("The draft case exists already."), "info")
        return redirect(url_for("casebook.cases_detail", case_id=engagement.case_id), 303)
    if request.method == "GET":
        form = HandoverForm(data=closing.handover_prefill(engagement))
        form.version.data = str(engagement.version)
        return render_template("support/handover.html", engagement=engagement, form=form,
                               outcomes=queries.outcomes(engagement))
    form = HandoverForm()
    if form.validate_on_submit():
        fields = {k: (getattr(form, k).data or "") for k in (
            "title", "summary", "problem", "approach", "outcomes", "tools", "cost_jpy", "lessons")}
        fields["themes"] = closing.handover_prefill(engagement)["themes"]
        try:
            case_id = closing.hand_over(current_user, engagement, fields, version_of(form.version.data))
        except ServiceError as error:
            show_refusal(error, form)
        else:
            flash(_("The draft case was created in your municipality's cases. Check it and send it for approval."),
                  "success")
            return redirect(url_for("casebook.cases_detail", case_id=case_id), 303)
    return render_template("support/handover.html", engagement=engagement, form=form,
                           outcomes=queries.outcomes(engagement)), 400
