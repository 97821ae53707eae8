"""Pages of joint procurement. Thin: load → check access → call a service → render."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kernel import audit, drafts, uploads
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.i18n import TOKYO, current_lang
from kernel.views import act, show_refusal
from procurement import access, bp, common, exports, project_html, project_page, queries, services
from procurement import declarations as demand
from procurement.chart import savings_chart
from procurement.forms import (
    UNIT_LABELS,
    ApproveForm,
    AwardForm,
    DocumentForm,
    ProjectForm,
    TransitionForm,
    declaration_form,
    parse_tiers,
    quote_choices,
    quote_form,
)
from procurement.models import TRANSITIONS, Project
from tenants.auth import not_found_or_denied, require_login

# Long forms keep a server-side draft (kernel/drafts.py).
drafts.register_draft_form("procurement.project_new", "procurement.project_edit", "procurement.declaration")


def _load(project_id: int) -> Project:
    project = queries.get_project(project_id)
    if project is None or not access.can_see(current_user, project):
        not_found_or_denied("procurement_project", project_id)
    assert project is not None
    return project


def _require_organiser(project: Project) -> None:
    if not access.is_organiser(current_user, project):
        abort(403)


def _version(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _status_of(error: ServiceError) -> int:
    return 409 if isinstance(error, common.Conflict) else 400


@bp.get("/")
@require_login
def index() -> ResponseReturnValue:
    projects = queries.visible_projects(current_user)
    waiting = request.args.get("waiting", "")
    if waiting in ("approval", "survey"):  # the list behind a "waiting for you" item of the dashboard
        from procurement.waiting import waiting_project_ids

        ids = waiting_project_ids(current_user, waiting)
        projects = [p for p in projects if p.id in ids]
    else:
        waiting = ""
    return render_template("procurement/index.html", projects=projects, can_organise=access.can_organise(current_user),
                           waiting=waiting)


def _project_data(form: ProjectForm) -> services.ProjectData | None:
    items = form.parsed_items()
    if items is None:
        return None
    return services.ProjectData(
        title=form.title.data or "", description=form.description.data or "", category=form.category.data or "",
        survey_opens_at=form.survey_opens_at.data.replace(tzinfo=TOKYO),
        survey_closes_at=form.survey_closes_at.data.replace(tzinfo=TOKYO),
        contract_start_fy=form.contract_start_fy.data, contract_end_fy=form.contract_end_fy.data, items=items,
        reminder_days=form.reminder_days.data)


@bp.route("/new", methods=["GET", "POST"])
@require_login
def project_new() -> ResponseReturnValue:
    if not access.can_organise(current_user):
        abort(403)
    restored = drafts.restored_formdata()
    form = ProjectForm(formdata=restored) if restored is not None else ProjectForm()
    if request.method == "POST":
        data = _project_data(form) if form.validate_on_submit() else None
        if data is not None:
            try:
                project = services.create_project(current_user, data)
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The project was created as a draft."), "success")
                return redirect(url_for("procurement.project_detail", project_id=project.id))
        return render_template("procurement/project_form.html", form=form, project=None), 400
    form.reminder_days.data = 3
    return render_template("procurement/project_form.html", form=form, project=None)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@require_login
def project_edit(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    restored = drafts.restored_formdata()
    if restored is not None:
        return render_template("procurement/project_form.html", form=ProjectForm(formdata=restored), project=project)
    if request.method == "GET":
        form = ProjectForm(obj=project, formdata=None)
        form.survey_opens_at.data = project.survey_opens_at.astimezone(TOKYO).replace(tzinfo=None)
        form.survey_closes_at.data = project.survey_closes_at.astimezone(TOKYO).replace(tzinfo=None)
        form.items.data = "\n".join(f"{i.name} | {UNIT_LABELS.get(i.unit, i.unit)}" for i in project.items)
        form.version.data = str(project.version)
        return render_template("procurement/project_form.html", form=form, project=project)
    form = ProjectForm()
    data = _project_data(form) if form.validate_on_submit() else None
    status = 400
    if data is not None:
        try:
            services.update_project(current_user, project, data, _version(form.version.data) or -1)
        except ServiceError as error:
            show_refusal(error, form)
            status = _status_of(error)
        else:
            flash(_("The project was saved."), "success")
            return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/project_form.html", form=form, project=project), status


@bp.get("/<int:project_id>")
@require_login
def project_detail(project_id: int) -> ResponseReturnValue:
    user = current_user._get_current_object()  # the person, read once (each use of the proxy looks it up again)
    can_declare = access.can_declare(user)
    # Read-only and shown on every visit: plain rows in one statement, not entities (project_page.py).
    page = project_page.load(project_id, user.tenant_id if can_declare else None)
    if page is None or not access.can_see(user, page.project):
        not_found_or_denied("procurement_project", project_id)
    assert page is not None
    project = page.project
    organiser = access.is_organiser(user, project)
    # Forms only for those the page shows them to: the organiser's tools, the admin's approval.
    award_form = transition_form = document_form = None
    if organiser:
        award_form = AwardForm()
        award_form.quote_id.choices = quote_choices(project)
        award_form.version.data = str(project.version)
        transition_form, document_form = TransitionForm(), DocumentForm()
    survey_open = demand.survey_is_open(project)
    # The content but for its forms, written in Python with its texts kept per worker (project_html.py).
    html = project_html.content_html(project, page.aggregate, can_declare, survey_open)
    return render_template(
        "procurement/project_detail.html", project=project, html=html, organiser=organiser,
        approve_version=project_html.approval_shown(page.aggregate, user, survey_open),
        next_statuses=[s for s in TRANSITIONS[project.status] if s != "awarded"], award_form=award_form,
        transition_form=transition_form, approve_form=ApproveForm() if access.can_approve(user) else None,
        document_form=document_form)


@bp.post("/<int:project_id>/status")
@require_login
def project_status(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    to_status = form.to_status.data or ""
    reason, version = form.reason.data or "", _version(form.version.data)
    if (to_status in ("contracted", "cancelled") and not confirmed()
            and would_succeed(lambda: services.transition(current_user, project, to_status, reason, version))):
        back = url_for("procurement.project_detail", project_id=project.id)
        if to_status == "cancelled":
            return ask_confirmation(Confirmation(
                _("Cancel the joint procurement “%(title)s”?", title=project.title),
                [_("The project ends here: no more declarations, quotes or award."),
                 _("The municipalities that declared demand are told, with the reason on the project page.")],
                _("Cancel the project"), back=back, details=[(_("Reason for cancelling"), form.reason.data or "")]))
        return ask_confirmation(Confirmation(
            _("Record the contract of “%(title)s” as concluded?", title=project.title),
            [_("The award and the cost allocated to each municipality become final.")],
            _("Record the contract"), back=back))
    try:
        services.transition(current_user, project, to_status, reason, version)
    except ServiceError as error:
        if isinstance(error, common.Conflict):
            return _conflict(error)
        flash(error.message, "error")
        return redirect(url_for("procurement.project_detail", project_id=project.id), 303)
    flash(_("The status was changed."), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))


def _conflict(error: ServiceError) -> Any:
    """409 with the service's message (stale form or a deadline that passed)."""
    from kernel.errors import render_error

    return render_error(409, error.message)


@bp.route("/<int:project_id>/quotes/new", methods=["GET", "POST"])
@require_login
def quote_new(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    form = quote_form(project)
    if request.method == "GET":
        return render_template("procurement/quote_form.html", form=form, project=project)
    if form.validate_on_submit():
        lines = {}
        for item, fee, tiers_field in form.item_fields:
            tiers = parse_tiers(tiers_field.data or "")
            if tiers is None:
                tiers_field.errors = [_("Write one tier per line as “from quantity: unit price”, e.g. 100: 800.")]
                continue
            lines[item.id] = (int(fee.data or 0), tiers)
        if len(lines) == len(form.item_fields):
            try:
                services.add_quote(current_user, project, form.vendor_name.data or "",
                                   form.vendor_identifier.data or "", form.notes.data or "", lines)
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The quote was recorded."), "success")
                return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/quote_form.html", form=form, project=project), 400


@bp.post("/<int:project_id>/documents")
@require_login
def document_add(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    form = DocumentForm()
    if not form.validate_on_submit():
        flash(_("Enter a title and choose a file."), "error")
        return redirect(url_for("procurement.project_detail", project_id=project.id), 303)
    upload = form.file.data if hasattr(form.file.data, "read") else None
    back = url_for("procurement.project_detail", project_id=project.id)
    return act(lambda: services.add_document(current_user, project, form.title.data or "",
                                             *uploads.read_upload(upload)),
               _("The document was added."), back)


@bp.get("/<int:project_id>/documents/<int:document_id>")
@require_login
def document_download(project_id: int, document_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    document = queries.get_document(project, document_id)
    if document is None:
        not_found_or_denied("procurement_document", document_id)
    assert document is not None
    return Response(document.data, mimetype=document.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}"})


@bp.post("/<int:project_id>/award")
@require_login
def project_award(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    form = AwardForm()
    form.quote_id.choices = quote_choices(project)
    if not form.validate_on_submit():
        abort(400)
    if not confirmed() and would_succeed(
            lambda: services.award(current_user, project, form.quote_id.data, _version(form.version.data))):
        quote = project.quote(form.quote_id.data)
        return ask_confirmation(Confirmation(
            _("Award “%(title)s” to this vendor?", title=project.title),
            [_("The contract is awarded to this quote and its cost allocated to each committed municipality."),
             _("The participating municipalities are told. An award cannot be undone.")],
            _("Award the contract"), back=url_for("procurement.project_detail", project_id=project.id),
            details=[(_("Vendor"), quote.vendor_name if quote is not None else "")]))
    try:
        services.award(current_user, project, form.quote_id.data, _version(form.version.data))
    except ServiceError as error:
        if isinstance(error, common.Conflict):
            return _conflict(error)
        flash(error.message, "error")
        return redirect(url_for("procurement.project_detail", project_id=project.id), 303)
    flash(_("The contract was awarded and the cost allocated to the participants."), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))


@bp.route("/<int:project_id>/declaration", methods=["GET", "POST"])
@require_login
def declaration(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    if not access.can_declare(current_user):
        abort(403)
    current = demand.own_declaration(project, current_user.tenant_id)
    if request.method == "GET":
        restored = drafts.restored_formdata()
        form = _declaration_form_for(project, current) if restored is None else declaration_form(project, restored)
        return render_template("procurement/declaration_form.html", form=form, project=project, declaration=current,
                               survey_open=demand.survey_is_open(project))
    form = declaration_form(project, formdata=request.form)
    status = 400
    if form.validate_on_submit():
        data = demand.DeclarationData(
            quantities={item.id: int(field.data or 0) for item, field in form.quantity_fields},
            intent=form.intent.data or "", max_budget_yen=form.max_budget_yen.data,
            contact_name=form.contact_name.data or "", contact_email=form.contact_email.data or "",
            contact_phone=form.contact_phone.data or "", remarks=form.remarks.data or "")
        try:
            saved = demand.save_declaration(current_user, project, data, _version(form.version.data))
        except ServiceError as error:
            status = _status_of(error)
            if error.field in ("quantities",):
                flash(error.message, "error")
            else:
                show_refusal(error, form)
            if status == 409:
                flash(error.message, "error")
        else:
            flash(_("Your municipality's declaration was saved.") if saved.status != "pending_approval"
                  else _("Saved. The commitment now awaits your administrator's approval."), "success")
            return redirect(url_for("procurement.project_detail", project_id=project.id))
    return render_template("procurement/declaration_form.html", form=form, project=project, declaration=current,
                           survey_open=demand.survey_is_open(project)), status


def _declaration_form_for(project: Project, current: Any) -> Any:
    if current is None:
        return declaration_form(project, formdata=None, contact_name=current_user.display_name,
                                contact_email=current_user.email)
    data = {f"qty_{k}": v for k, v in current.quantities().items()}
    intent = {"committed": "commit", "pending_approval": "commit"}.get(current.status, current.status)
    if intent == "withdrawn":
        intent = "withdraw"
    return declaration_form(project, formdata=None, intent=intent, max_budget_yen=current.max_budget_yen,
                            contact_name=current.contact_name, contact_email=current.contact_email,
                            contact_phone=current.contact_phone, remarks=current.remarks,
                            version=str(current.version), **data)


@bp.post("/<int:project_id>/declaration/approve")
@require_login
def declaration_approve(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    if not access.can_approve(current_user):
        abort(403)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        demand.approve_declaration(current_user, project, _version(form.version.data))
    except ServiceError as error:
        if isinstance(error, common.Conflict):
            return _conflict(error)
        flash(error.message, "error")
        return redirect(url_for("procurement.project_detail", project_id=project.id), 303)
    flash(_("The commitment was approved."), "success")
    return redirect(url_for("procurement.project_detail", project_id=project.id))


@bp.get("/<int:project_id>/declarations")
@require_login
def declarations(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    return render_template("procurement/declarations.html", project=project,
                           declarations=demand.all_declarations(project),
                           allocations={a.tenant_id: a for a in queries.allocations(project)})


@bp.get("/<int:project_id>/savings")
@require_login
def savings(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    rows, total = queries.savings(project, current_user, current_lang())
    chart = savings_chart(rows, total) if total is not None else None
    return render_template("procurement/savings.html", project=project, rows=rows, total=total, chart=chart)


@bp.get("/<int:project_id>/export.xlsx")
@require_login
def export_xlsx(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    data = exports.workbook(project, current_lang())
    audit.record("procurement.export_xlsx", "procurement_project", project.id)  # budgets leave the portal
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="procurement-{project.id}.xlsx"'})


@bp.get("/<int:project_id>/ocds.json")
@require_login
def ocds(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    _require_organiser(project)
    # Default: the package for publication (nothing of procurement.confidential). ?scope=internal is
    # the organiser's working copy with budgets and every declaration, marked as not for publication.
    internal = request.args.get("scope") == "internal"
    package = exports.ocds_package(project, current_app.config.get("OCDS_PREFIX") or "ocds-yokoten",
                                   exports.base_url(), internal=internal)
    audit.record("procurement.export_ocds_internal" if internal else "procurement.export_ocds",
                 "procurement_project", project.id)
    response = current_app.response_class(exports.dumps(package), mimetype="application/json")
    name = f"ocds-internal-{project.id}.json" if internal else f"ocds-{project.id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/<int:project_id>/print")
@require_login
def print_sheet(project_id: int) -> ResponseReturnValue:
    project = _load(project_id)
    tenant = current_user.tenant_id if access.can_declare(current_user) else None
    organiser = access.is_organiser(current_user, project)
    # The organiser's 決裁 sheet carries every participant's allocation; anyone else only the totals
    # and (a participant) its own row — the same rule as the savings page and organiser_read.
    allocated = queries.allocations(project, current_user) if project.contract_total_yen is not None else []
    return render_template("procurement/print.html", project=project, aggregate=queries.aggregate(project, tenant),
                           organiser=organiser, can_declare=access.can_declare(current_user),
                           allocations=allocated if organiser else [], now=datetime.now(TOKYO))


@bp.context_processor
def labels() -> dict[str, Any]:
    from procurement.forms import CATEGORY_LABELS, DECLARATION_LABELS, STATUS_LABELS, UNIT_LABELS

    return {"status_label": lambda s: str(STATUS_LABELS.get(s, s)),
            "unit_label": lambda u: str(UNIT_LABELS.get(u, u)),
            "category_label": lambda c: str(CATEGORY_LABELS.get(c, c)),
            "declaration_label": lambda s: str(DECLARATION_LABELS.get(s, s))}
