"""A department's hours: the grid in the browser, the Excel template and its upload, submitting."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kernel.errors import ServiceError
from kernel.i18n import current_lang
from tenants.auth import require_login
from workload import bp, excel, queries, services
from workload.forms import PostForm, UploadForm
from workload.models import Department, Round
from workload.validation import EntryInput, RowError, is_blank, parse_row
from workload.views.common import load_department, refused, version_of


def _labels() -> dict[str, str]:
    return {"hours": _("Hours"), "per": _("Per"), "cases": _("Cases per year"),
            "paper": _("Paper / in person (percent)")}


def _render(round_: Round, department: Department, values: dict[str, dict[str, Any]],
            errors: dict[str, list[RowError]], status: int = 200,
            report: list[excel.CellError] | None = None) -> ResponseReturnValue:
    tasks = queries.task_list(current_user.tenant_id, current_lang())
    grouped: dict[str, list[queries.TaskRow]] = {}
    for task in tasks:  # in the list's order (Jinja's groupby would sort the groups by their code)
        grouped.setdefault(task.group_code, []).append(task)
    return render_template("workload/department.html", round=round_, department=department, grouped=grouped,
                           groups=queries.group_names(current_lang()), values=values, errors=errors,
                           form=PostForm(formdata=None, version=str(department.version)),
                           upload_form=UploadForm(formdata=None), report=report or []), status


@bp.get("/rounds/<int:round_id>/departments/<int:department_id>")
@require_login
def department_entry(round_id: int, department_id: int) -> ResponseReturnValue:
    round_, department = load_department(round_id, department_id)
    values = {key: {"hours": _hours_text(e.hours_per_year / (12 if e.entered_per == "month" else 1)),
                    "per": e.entered_per, "cases": str(e.cases_per_year), "paper": str(e.paper_share)}
              for key, e in queries.department_entries(department).items()}
    return _render(round_, department, values, {})


def _hours_text(value: Any) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@bp.post("/rounds/<int:round_id>/departments/<int:department_id>")
@require_login
def department_save(round_id: int, department_id: int) -> ResponseReturnValue:
    round_, department = load_department(round_id, department_id)
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    tasks = queries.task_list(current_user.tenant_id, current_lang())
    values: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[RowError]] = {}
    rows: list[EntryInput] = []
    blank: list[str] = []
    for task in tasks:
        raw = {f: request.form.get(f"{f}-{task.key}", "") for f in ("hours", "per", "cases", "paper")}
        values[task.key] = raw
        if is_blank(raw["hours"], raw["cases"], raw["paper"]):
            blank.append(task.key)
            continue
        row, row_errors = parse_row(task.key, raw["hours"], raw["per"], raw["cases"], raw["paper"], _labels())
        if row_errors:
            errors[task.key] = row_errors
        elif row is not None:
            rows.append(row)
    if errors:
        flash(_("Some figures could not be read; nothing was saved. Correct the rows marked below."), "error")
        return _render(round_, department, values, errors, 400)
    try:
        services.save_entries(current_user, department, rows, blank, version_of(form.version.data))
    except ServiceError as error:
        return _render(round_, department, values, {}, refused(error))
    flash(_("The hours were saved."), "success")
    return redirect(url_for("workload.department_entry", round_id=round_id, department_id=department_id))


@bp.post("/rounds/<int:round_id>/departments/<int:department_id>/submit")
@require_login
def department_submit(round_id: int, department_id: int) -> ResponseReturnValue:
    round_, department = load_department(round_id, department_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.submit_department(current_user, department)
    except ServiceError as error:
        return _render(round_, department, {}, {}, refused(error))
    flash(_("The department's hours were submitted."), "success")
    return redirect(url_for("workload.round_detail", round_id=round_id))


@bp.get("/rounds/<int:round_id>/departments/<int:department_id>/template.xlsx")
@require_login
def department_template(round_id: int, department_id: int) -> ResponseReturnValue:
    round_, department = load_department(round_id, department_id)
    tasks = queries.task_list(current_user.tenant_id, current_lang())
    data = excel.department_template(round_, department, tasks, queries.department_entries(department),
                                     queries.group_names(current_lang()))
    filename = f"workload-{round_.fiscal_year}-{department.id}.xlsx"
    return Response(data, mimetype=excel.XLSX, headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.post("/rounds/<int:round_id>/departments/<int:department_id>/upload")
@require_login
def department_upload(round_id: int, department_id: int) -> ResponseReturnValue:
    round_, department = load_department(round_id, department_id)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose the Excel file to upload."), "error")
        return _render(round_, department, {}, {}, 400)
    tasks = queries.task_list(current_user.tenant_id, current_lang())
    parsed = excel.read_department_sheet(upload.read(), tasks, _labels(), department)
    if parsed.errors:
        flash(_("The file was not imported: %(count)s problems were found. Nothing was saved.",
                count=len(parsed.errors)), "error")
        return _render(round_, department, {}, {}, 400, report=parsed.errors)
    try:
        services.save_entries(current_user, department, parsed.rows, parsed.blank, None, source="excel")
    except ServiceError as error:
        return _render(round_, department, {}, {}, refused(error))
    flash(_("%(count)s tasks were imported from the Excel file.", count=len(parsed.rows)), "success")
    return redirect(url_for("workload.department_entry", round_id=round_id, department_id=department_id))
