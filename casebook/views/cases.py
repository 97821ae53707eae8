"""A municipality's own cases: list and search, write (versioned, 409 on stale), attachments, release."""
from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from casebook import bp, excel, queries, services
from casebook.forms import ActionForm, AttachmentForm, CaseForm, ImportForm
from casebook.models import CONTENT_FIELDS, Case
from casebook.rendering import field_diffs
from casebook.validation import ContentError, empty_content, from_form
from kernel import drafts, uploads
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.numbers import parse_whole
from kernel.views import show_refusal
from tenants.auth import not_found_or_denied, require_permission
from tenants.roles import Permission

drafts.register_draft_form("casebook.cases_new", "casebook.cases_edit")  # long forms keep a server-side draft

def load_case(case_id: int, *, for_update: bool = False) -> Case:
    case = services.get_case(current_user.tenant_id, case_id, for_update=for_update)
    if case is None:
        not_found_or_denied("case", case_id)
    return case


@bp.get("/cases")
@require_permission(Permission.CASES_READ_OWN)
def cases_index() -> ResponseReturnValue:
    page = request.args.get("page", "1")
    q = request.args.get("q", "")[:200]
    state = request.args.get("state", "")
    state = state if state in queries.OWN_CASE_FILTERS else ""
    result = queries.search_own_cases(current_user.tenant_id, q, parse_whole(page) or 1, state=state)
    return render_template("casebook/cases_index.html", result=result, q=q, state=state,
                           adoptions=queries.adoptions_of_tenant_cases(current_user.tenant_id))


@bp.get("/cases/questions")
@require_permission(Permission.CASES_WRITE_OWN)
def cases_questions() -> ResponseReturnValue:
    """Questions other municipalities asked about our published cases that wait for an answer."""
    from casebook.waiting import open_questions

    return render_template("casebook/cases_questions.html", items=open_questions(current_user.tenant_id))


@bp.route("/cases/new", methods=["GET", "POST"])
@require_permission(Permission.CASES_WRITE_OWN)
def cases_new() -> ResponseReturnValue:
    restored = drafts.restored_formdata()
    form = CaseForm(formdata=restored) if restored is not None else CaseForm()
    if request.method == "GET":
        if restored is None:
            form.fill(empty_content())
        return render_template("casebook/case_form.html", form=form, case=None)
    if not form.validate_on_submit():
        abort(400)
    try:
        content = from_form(request.form)
        case = services.create_case(current_user.tenant_id, current_user.id, content)
    except ContentError as error:
        show_refusal(error, form)
        return render_template("casebook/case_form.html", form=form, case=None), 400
    flash(_("The case was saved."), "success")
    return redirect(url_for("casebook.cases_detail", case_id=case.id))


@bp.get("/cases/<int:case_id>")
@require_permission(Permission.CASES_READ_OWN)
def cases_detail(case_id: int) -> ResponseReturnValue:
    case = load_case(case_id)
    entry = services.published_entry_of(case)
    adopters = queries.adopters_of(entry) if entry is not None else []
    return render_template("casebook/case_detail.html", case=case, attachments=services.list_attachments(case),
                           submission=services.latest_submission(case), entry=entry, adopters=adopters,
                           action=ActionForm(), upload=AttachmentForm())


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.CASES_WRITE_OWN)
def cases_edit(case_id: int) -> ResponseReturnValue:
    case = load_case(case_id)
    restored = drafts.restored_formdata()
    form = CaseForm(formdata=restored) if restored is not None else CaseForm()
    if request.method == "GET":
        if restored is None:
            form.fill(case.content(), case.version)
        return render_template("casebook/case_form.html", form=form, case=case)
    if not form.validate_on_submit():
        abort(400)
    expected = parse_whole(request.form.get("version", ""))
    if expected is None:
        abort(400)
    try:
        content = from_form(request.form)
        services.update_case(case, current_user.id, content, expected)
    except ContentError as error:
        show_refusal(error, form)
        return render_template("casebook/case_form.html", form=form, case=case), 400
    except services.StaleVersion as error:
        # Keep what the person typed; show what changed meanwhile, and let them save over it knowingly.
        form.version.data = str(error.current)
        changes = []
        old = services.get_version(case, expected)
        if old is not None:
            changes = field_diffs(old.data, case.content(), CONTENT_FIELDS)
        return render_template("casebook/case_form.html", form=form, case=case, stale=error,
                               changes=changes), 409
    flash(_("The case was saved."), "success")
    return redirect(url_for("casebook.cases_detail", case_id=case.id))


@bp.get("/cases/<int:case_id>/versions")
@require_permission(Permission.CASES_READ_OWN)
def cases_versions(case_id: int) -> ResponseReturnValue:
    case = load_case(case_id)
    versions = services.list_versions(case)
    number = request.args.get("v", "")
    selected = None
    diffs: list[dict[str, Any]] = []
    version_no = parse_whole(number)
    if version_no is not None:
        selected = services.get_version(case, version_no)
        if selected is None:
            abort(404)
        previous = services.get_version(case, selected.version - 1)
        diffs = field_diffs(previous.data if previous else {}, selected.data, CONTENT_FIELDS)
    return render_template("casebook/case_versions.html", case=case, versions=versions, selected=selected,
                           diffs=diffs)


@bp.get("/cases/<int:case_id>/shared-diff")
@require_permission(Permission.CASES_READ_OWN)
def cases_shared_diff(case_id: int) -> ResponseReturnValue:
    case = load_case(case_id)
    entry = services.published_entry_of(case)
    if entry is None:
        abort(404)
    diffs = field_diffs(entry.content(), case.content(), CONTENT_FIELDS)
    return render_template("casebook/case_shared_diff.html", case=case, entry=entry, diffs=diffs)


@bp.get("/cases/<int:case_id>/print")
@require_permission(Permission.CASES_READ_OWN)
def cases_print(case_id: int) -> ResponseReturnValue:
    case = load_case(case_id)
    return render_template("casebook/print_case.html", item=case, tenant=current_user.tenant,
                           attachments=services.list_attachments(case))


def _release_action(case_id: int, action: str) -> ResponseReturnValue:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    case = load_case(case_id)
    try:
        if action == "propose":
            services.propose_case(case, current_user.id)
            flash(_("The case was sent to your administrator for approval."), "success")
        elif action == "approve":
            services.approve_release(case, current_user.id)
            flash(_("Approved: the case is now in the TMG curators' queue."), "success")
        else:
            services.return_to_draft(case, current_user.id)
            flash(_("The case was returned to draft."), "success")
    except ServiceError as error:
        flash(error.message, "error")
        return render_template("casebook/case_detail.html", case=case,
                               attachments=services.list_attachments(case),
                               submission=services.latest_submission(case),
                               entry=services.published_entry_of(case), adopters=[], action=ActionForm(),
                               upload=AttachmentForm()), 409
    return redirect(url_for("casebook.cases_detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/propose")
@require_permission(Permission.CASES_WRITE_OWN)
def cases_propose(case_id: int) -> ResponseReturnValue:
    return _release_action(case_id, "propose")


@bp.post("/cases/<int:case_id>/approve")
@require_permission(Permission.TENANT_APPROVE_RELEASE)
def cases_approve(case_id: int) -> ResponseReturnValue:
    # The sign-off copies the case out of the municipality to TMG's curators: asked first (issue 17.6).
    if not confirmed():
        if not ActionForm().validate_on_submit():
            abort(400)
        case = load_case(case_id)
        if would_succeed(lambda: services.approve_release(case, current_user.id)):
            return ask_confirmation(Confirmation(
                _("Send “%(title)s” to TMG's curators?", title=case.title),
                [_("A copy of the case as it is now leaves your municipality for the curators' review queue."),
                 _("The author is told. The curators may publish it in the casebook for every municipality.")],
                _("Approve and send"), back=url_for("casebook.cases_detail", case_id=case.id)))
    return _release_action(case_id, "approve")


@bp.post("/cases/<int:case_id>/decline")
@require_permission(Permission.TENANT_APPROVE_RELEASE)
def cases_decline(case_id: int) -> ResponseReturnValue:
    return _release_action(case_id, "decline")


@bp.post("/cases/<int:case_id>/attachments")
@require_permission(Permission.CASES_WRITE_OWN)
def cases_attach(case_id: int) -> ResponseReturnValue:
    form = AttachmentForm()
    if not form.validate_on_submit():
        abort(400)
    case = load_case(case_id)
    try:
        services.add_attachment(case, current_user.id, *uploads.read_upload(request.files.get("file")))
    except ServiceError as error:
        show_refusal(error, form)
        return render_template("casebook/case_detail.html", case=case, attachments=services.list_attachments(case),
                               submission=services.latest_submission(case),
                               entry=services.published_entry_of(case), adopters=[], action=ActionForm(),
                               upload=form), 400
    flash(_("The file was attached."), "success")
    return redirect(url_for("casebook.cases_detail", case_id=case.id))


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>")
@require_permission(Permission.CASES_READ_OWN)
def cases_attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    case = load_case(case_id)
    row = services.get_attachment(case, attachment_id)
    if row is None:
        not_found_or_denied("case_attachment", attachment_id)
    # Always a download (never rendered inline), with the type we sniffed and an RFC 6266 file name.
    response = send_file(io.BytesIO(row.data), mimetype=row.content_type, as_attachment=True,
                         download_name=row.filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/cases/<int:case_id>/attachments/<int:attachment_id>/delete")
@require_permission(Permission.CASES_WRITE_OWN)
def cases_attachment_delete(case_id: int, attachment_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    case = load_case(case_id)
    row = services.get_attachment(case, attachment_id)
    if row is None:
        not_found_or_denied("case_attachment", attachment_id)
    if not confirmed() and would_succeed(lambda: services.delete_attachment(case, row)):
        return ask_confirmation(Confirmation(
            _("Delete the attachment “%(name)s”?", name=row.filename),
            [_("The file is deleted from the case and cannot be restored.")],
            _("Delete"), back=url_for("casebook.cases_detail", case_id=case.id)))
    services.delete_attachment(case, row)
    flash(_("The attachment was deleted."), "success")
    return redirect(url_for("casebook.cases_detail", case_id=case.id))


@bp.get("/cases/import-template.xlsx")
@require_permission(Permission.CASES_WRITE_OWN)
def cases_import_template() -> ResponseReturnValue:
    return send_file(excel.import_template(), as_attachment=True, download_name="cases_template.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/cases/import", methods=["GET", "POST"])
@require_permission(Permission.CASES_WRITE_OWN)
def cases_import() -> ResponseReturnValue:
    form = ImportForm()
    if request.method == "GET":
        return render_template("casebook/cases_import.html", form=form, messages=[])
    if not form.validate_on_submit():
        abort(400)
    _name, data = uploads.read_upload(request.files.get("file"))
    if not data:
        return render_template("casebook/cases_import.html", form=form,
                               messages=[excel.Problem(0, "", "", "ファイルを選んでください。")]), 400
    contents, problems = excel.parse_workbook(data)
    if problems or not contents:
        return render_template("casebook/cases_import.html", form=form,
                               messages=problems or [excel.Problem(0, "", "", "取り込む行がありません。")]), 400
    for content in contents:
        services.create_case(current_user.tenant_id, current_user.id, content, note="Excel取込")
    flash(_("%(n)s cases were imported.", n=len(contents)), "success")
    return redirect(url_for("casebook.cases_index"))

