"""The municipality's side: the list of its requests, drafting, editing, release, the engagement page."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kernel.errors import ServiceError
from kernel.i18n import current_lang
from kernel.views import act, show_refusal
from support import access, bp, queries
from support.forms import (
    PlanForm,
    PriorityForm,
    ReasonForm,
    RequestForm,
    StageForm,
    VersionForm,
    version_of,
)
from support.models import TRANSITIONS, Engagement
from support.services import requests as request_services
from support.views.common import load, require, status_of
from tenants.auth import require_login


@bp.get("/")
@require_login
def index() -> ResponseReturnValue:
    if access.is_desk(current_user):
        return redirect(url_for("support.desk_board"))
    require(access.can_request(current_user))
    engagements = queries.own_engagements(current_user.tenant_id)
    themes = {t.id: t for t in queries.themes(active_only=False)}
    return render_template("support/index.html", engagements=engagements, themes=themes)


def _request_data(form: RequestForm) -> request_services.RequestData:
    return request_services.RequestData(
        title=form.title.data or "", theme_id=form.theme_id.data or None, problem=form.problem.data or "",
        department=form.department.data or "", desired_start=form.desired_start.data,
        desired_end=form.desired_end.data)


def _request_form(engagement: Engagement | None = None) -> RequestForm:
    form = RequestForm(obj=engagement) if request.method == "GET" else RequestForm()
    form.set_themes(queries.themes(), current_lang())
    return form


# Pages that lead here with a request already half-written (the workload benchmark's 「支援を依頼する」)
# pass its title and problem in the query string; nothing is saved until the person presses 保存.
PREFILL_SOURCES = {"workload"}


def _prefill(form: RequestForm) -> str | None:
    """Fill the new request's title and problem from the link that led here; the source's name or None."""
    title = " ".join((request.args.get("title") or "").split())[:200]
    problem = (request.args.get("problem") or "")[:20000]
    if title:
        form.title.data = title
    if problem.strip():
        form.problem.data = problem
    source = request.args.get("source")
    return source if source in PREFILL_SOURCES and (title or problem.strip()) else None


@bp.route("/new", methods=["GET", "POST"])
@require_login
def new() -> ResponseReturnValue:
    require(access.can_request(current_user))
    form = _request_form()
    if request.method == "GET":
        form.fill_token()
        prefilled = _prefill(form)
        return render_template("support/request_form.html", form=form, engagement=None, prefilled=prefilled)
    if form.validate_on_submit():
        try:
            engagement = request_services.create_request(current_user, _request_data(form), form.form_token.data)
            upload = request.files.get("attachment")
            if upload is not None and upload.filename:
                from kernel.uploads import read_upload
                from support.services import workspace

                name, data = read_upload(upload)
                workspace.add_file(current_user, engagement, name, data, kind="request", title="")
        except ServiceError as error:
            show_refusal(error, form)
        else:
            flash(_("The request was saved as a draft. Send it to your administrator for approval when ready."),
                  "success")
            return redirect(url_for("support.detail", engagement_id=engagement.id), 303)
    return render_template("support/request_form.html", form=form, engagement=None), 400


@bp.route("/<int:engagement_id>/edit", methods=["GET", "POST"])
@require_login
def edit(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    require(access.is_requester_side(current_user, engagement) and engagement.release_state != "submitted")
    form = _request_form(engagement)
    if request.method == "GET":
        form.version.data = str(engagement.version)
        return render_template("support/request_form.html", form=form, engagement=engagement)
    status = 400
    if form.validate_on_submit():
        try:
            request_services.update_request(current_user, engagement, _request_data(form),
                                            version_of(form.version.data))
        except ServiceError as error:
            show_refusal(error, form)
            status = status_of(error)
        else:
            flash(_("The request was saved."), "success")
            return redirect(url_for("support.detail", engagement_id=engagement.id), 303)
    return render_template("support/request_form.html", form=form, engagement=engagement), status


@bp.get("/<int:engagement_id>")
@require_login
def detail(engagement_id: int) -> ResponseReturnValue:
    engagement = load(engagement_id)
    from support.views.workspace import workspace_context

    if access.is_desk(current_user):
        request_services.record_access(current_user, engagement, "detail")
    stage_form = StageForm()
    stage_form.to_stage.choices = [(s, s) for s in TRANSITIONS.get(engagement.stage or "", ())]
    plan_form = PlanForm(obj=engagement)
    plan_form.skill_ids.choices = [(s.id, s.name(current_lang())) for s in _skills()]
    events = queries.stage_events(engagement)
    return render_template(
        "support/detail.html", engagement=engagement, theme=_theme(engagement), events=events,
        stages_time=queries.time_in_stages(events), slas=queries.service_levels(),
        access_log=queries.access_log(engagement) if access.is_requester_side(current_user, engagement) else [],
        is_desk=access.is_desk(current_user), requester=access.is_requester_side(current_user, engagement),
        can_release=access.can_release(current_user) and current_user.tenant_id == engagement.tenant_id,
        version_form=VersionForm(), reason_form=ReasonForm(), stage_form=stage_form,
        priority_form=PriorityForm(priority=engagement.priority), plan_form=plan_form,
        **workspace_context(engagement))


def _theme(engagement: Engagement) -> Any:
    return next((t for t in queries.themes(active_only=False) if t.id == engagement.theme_id), None)


def _skills() -> list[Any]:
    return queries.skills()


def _button(engagement_id: int, action: Any, done: str, form: Any = None) -> Any:
    engagement = load(engagement_id)
    form = form or VersionForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "error")
        return redirect(url_for("support.detail", engagement_id=engagement.id), 303)
    return act(lambda: action(engagement, version_of(form.version.data)), done,
               back=url_for("support.detail", engagement_id=engagement.id), status=303)


@bp.post("/<int:engagement_id>/propose")
@require_login
def propose(engagement_id: int) -> ResponseReturnValue:
    require(access.can_request(current_user))
    return _button(engagement_id, lambda e, v: request_services.propose_request(current_user, e, v),
                   _("The request was sent to your administrator for approval."))


@bp.post("/<int:engagement_id>/approve")
@require_login
def approve(engagement_id: int) -> ResponseReturnValue:
    require(access.can_release(current_user))
    return _button(engagement_id, lambda e, v: request_services.approve_request(current_user, e, v),
                   _("The request was approved and sent to TMG's support desk."))


@bp.post("/<int:engagement_id>/return")
@require_login
def send_back(engagement_id: int) -> ResponseReturnValue:
    require(access.can_release(current_user))
    form = ReasonForm()
    return _button(engagement_id, lambda e, v: request_services.return_request(
        current_user, e, v, form.reason.data or ""), _("The request was returned to draft."), form)


@bp.post("/<int:engagement_id>/stage")
@require_login
def stage(engagement_id: int) -> ResponseReturnValue:
    require(access.is_desk(current_user))
    form = StageForm()
    return _button(engagement_id, lambda e, v: request_services.move_stage(
        current_user, e, form.to_stage.data or "", form.reason.data or "", v), _("The stage was changed."), form)


@bp.post("/<int:engagement_id>/priority")
@require_login
def priority(engagement_id: int) -> ResponseReturnValue:
    require(access.is_desk(current_user))
    form = PriorityForm()
    return _button(engagement_id, lambda e, v: request_services.set_priority(
        current_user, e, form.priority.data or "", v), _("The priority was saved."), form)


@bp.post("/<int:engagement_id>/plan")
@require_login
def plan(engagement_id: int) -> ResponseReturnValue:
    require(access.is_desk(current_user))
    form = PlanForm()
    raw = request.form.getlist("skill_ids")
    if not all(v.isdigit() for v in raw):
        abort(400)
    return _button(engagement_id, lambda e, v: request_services.set_plan(
        current_user, e, form.plan.data or "", [int(x) for x in raw], v), _("The plan was saved."), form)
