"""Excel: the per-department template and its upload, and the results workbook (openpyxl).

Every cell written from what people typed (department names, own tasks, the standard list) goes
through ``_text_cell``: a value starting with = + - @ a tab or a carriage return is stored as text
with Excel's quote prefix, so it can never become a formula (CSV/Excel injection). Uploads are read
as values only (``data_only``); every row is validated and every problem reported by row, column,
value and message; one problem anywhere and nothing is saved.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kernel import spreadsheets
from kernel.i18n import service_gettext as _
from workload.models import Department, Entry, Round
from workload.queries import Results, TaskRow
from workload.validation import EntryInput, is_blank, parse_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = spreadsheets.FORMULA_START
MAX_ROWS = 2000
SHEET = "業務量"
INFO = "info"
# The template writes the period in the user's language; either language (and the bare words) is read.
PERIODS = {"year": "year", "month": "month", "per year": "year", "per month": "month", "年": "year", "月": "month",
           "年間": "year", "月間": "month"}
EDITABLE = PatternFill("solid", fgColor="FFF2CC")


def _text_cell(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write a value; text that could start a formula is kept as text (kernel.spreadsheets, shared by every export)."""
    return spreadsheets.text_cell(ws.cell(row=row, column=column), value, number_format="General")


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _headers() -> list[str]:
    return [_("Task key"), _("Task group"), _("Task"), _("Class"), _("Hours"), _("Per"),
            _("Cases per year"), _("Paper / in person (percent)")]


def _class_label(value: str) -> str:
    return _("Core") if value == "core" else _("Non-core")


def department_template(round_: Round, department: Department, tasks: Sequence[TaskRow],
                        entries: Mapping[str, Entry], group_names: Mapping[str, str]) -> bytes:
    """One sheet per department: a row per task, the department's current figures filled in."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = SHEET
    for column, header in enumerate(_headers(), start=1):
        _text_cell(ws, 1, column, header).font = Font(bold=True)
    per = {"year": _("per year"), "month": _("per month")}
    periods = DataValidation(type="list", formula1=f'"{per["year"]},{per["month"]}"', allow_blank=True)
    ws.add_data_validation(periods)
    for row, task in enumerate(tasks, start=2):
        entry = entries.get(task.key)
        values: list[Any] = [task.key, group_names.get(task.group_code, task.group_code), task.name,
                             _class_label(task.task_class)]
        if entry is not None:
            hours = entry.hours_per_year / (12 if entry.entered_per == "month" else 1)
            values += [float(hours), per[entry.entered_per], entry.cases_per_year, entry.paper_share]
        else:
            values += [None, per["year"], None, None]
        for column, value in enumerate(values, start=1):
            cell = _text_cell(ws, row, column, value)
            if column >= 5:
                cell.fill = EDITABLE
        periods.add(f"F{row}")
    for letter, width in zip("ABCDEFGH", (10, 14, 44, 10, 10, 16, 14, 20), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "E2"
    info = workbook.create_sheet(INFO)
    _text_cell(info, 1, 1, "round")
    _text_cell(info, 1, 2, round_.id)
    _text_cell(info, 2, 1, "department")
    _text_cell(info, 2, 2, department.id)
    _text_cell(info, 3, 1, "name")
    _text_cell(info, 3, 2, department.name)
    info.sheet_state = "hidden"
    return _save(workbook)


@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class ParsedSheet:
    rows: list[EntryInput] = field(default_factory=list)
    blank: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


def read_department_sheet(data: bytes, tasks: Sequence[TaskRow], labels: Mapping[str, str],
                          department: Optional[Department] = None) -> ParsedSheet:
    """Read an uploaded template: figures per task, or the list of problems (row, column, value, message)."""
    parsed = ParsedSheet()
    try:
        spreadsheets.check_upload(data)  # zip bomb, too many sheets: refused before parsing
    except spreadsheets.NotASpreadsheet:
        pass  # answered below with this page's own message
    except spreadsheets.SpreadsheetRejected as rejected:
        parsed.errors.append(CellError(0, "", "", rejected.message))
        return parsed
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        parsed.errors.append(CellError(0, "", "", _("This is not an Excel (.xlsx) file. Download the template "
                                                    "and fill it in.")))
        return parsed
    if SHEET not in workbook.sheetnames:
        parsed.errors.append(CellError(0, "", "", _("The sheet “%(name)s” is missing. Use the downloaded template.",
                                                    name=SHEET)))
        return parsed
    if department is not None and INFO in workbook.sheetnames:
        info = {row[0]: row[1] for row in workbook[INFO].iter_rows(min_row=1, max_row=3, max_col=2, values_only=True)}
        if str(info.get("department")) != str(department.id):
            parsed.errors.append(CellError(0, "", str(info.get("name") or ""), _(
                "This file is the template of another department. Download this department's template.")))
            return parsed
    known = {t.key for t in tasks}
    seen: set[str] = set()
    column_names = {"hours": "E", "per": "F", "cases": "G", "paper": "H"}
    sheet_labels = {k: f"{column_names[k]}（{labels[k]}）" for k in column_names}
    for number, row in enumerate(workbook[SHEET].iter_rows(min_row=2, max_col=8, values_only=True), start=2):
        if number > MAX_ROWS + 1:
            parsed.errors.append(CellError(number, "", "", _("The sheet has too many rows.")))
            break
        key = "" if row[0] is None else str(row[0]).strip()
        hours, per, cases, paper = (tuple(row) + (None,) * 8)[4:8]
        if not key:
            if not is_blank(hours, cases, paper):
                parsed.errors.append(CellError(number, "A", "", _("The task key is missing on a row with figures.")))
            continue
        if key not in known:
            parsed.errors.append(CellError(number, "A", key, _("Unknown task key. Do not change column A.")))
            continue
        if key in seen:
            parsed.errors.append(CellError(number, "A", key, _("This task appears twice.")))
            continue
        seen.add(key)
        if is_blank(hours, cases, paper):
            parsed.blank.append(key)
            continue
        period = PERIODS.get(str(per).strip() if per is not None else "year", str(per))
        entry, errors = parse_row(key, hours, period, cases, paper, sheet_labels)
        for error in errors:
            parsed.errors.append(CellError(number, error.column, error.value, error.message))
        if entry is not None:
            parsed.rows.append(entry)
    workbook.close()
    return parsed


def results_workbook(round_: Round, results: Results, group_names: Mapping[str, str],
                     department_label: str) -> bytes:
    """The round's results: by task group, by department and per task."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = _("Task groups")
    header = [_("Task group"), _("Hours per year"), _("Core hours"), _("Non-core hours"), _("Non-core share (percent)"),
              _("Cases per year"), _("Hours per case")]
    for column, value in enumerate(header, start=1):
        _text_cell(ws, 1, column, value).font = Font(bold=True)
    for row, (code, tally) in enumerate(results.by_group.items(), start=2):
        values: list[Any] = [group_names.get(code, code), float(tally.hours), float(tally.core_hours),
                             float(tally.non_core_hours),
                  float(tally.non_core_share), tally.cases,
                  None if tally.hours_per_case is None else float(tally.hours_per_case)]
        for column, value in enumerate(values, start=1):
            _text_cell(ws, row, column, value)
    departments = workbook.create_sheet(_("Departments"))
    for column, value in enumerate([department_label] + header[1:], start=1):
        _text_cell(departments, 1, column, value).font = Font(bold=True)
    for row, (name, tally) in enumerate(results.by_department.items(), start=2):
        values = [name, float(tally.hours), float(tally.core_hours), float(tally.non_core_hours),
                  float(tally.non_core_share), tally.cases,
                  None if tally.hours_per_case is None else float(tally.hours_per_case)]
        for column, value in enumerate(values, start=1):
            _text_cell(departments, row, column, value)
    tasks = workbook.create_sheet(_("Tasks"))
    task_header = [_("Task key"), _("Task group"), _("Task"), _("Class"), _("Hours per year"), _("Cases per year"),
                   _("Hours per case"), _("Share of all hours (percent)")]
    for column, value in enumerate(task_header, start=1):
        _text_cell(tasks, 1, column, value).font = Font(bold=True)
    for row, result in enumerate(results.by_task, start=2):
        tally = result.tally
        values = [result.task.key, group_names.get(result.task.group_code, ""), result.task.name,
                  _class_label(result.task.task_class), float(tally.hours), tally.cases,
                  None if tally.hours_per_case is None else float(tally.hours_per_case), float(result.share_of_total)]
        for column, value in enumerate(values, start=1):
            _text_cell(tasks, row, column, value)
    return _save(workbook)
