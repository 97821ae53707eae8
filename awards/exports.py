"""Score sheets per judge and overall, as CSV (UTF-8 with BOM, for Excel) and as Excel workbooks."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Optional

from flask_babel import gettext as _
from openpyxl import Workbook

from awards.blind import judge_code
from awards.judging import ResultRow, criterion_specs, list_judges, sheets_of_judge, visible_submissions
from awards.models import Judge, Programme
from awards.scoring import weighted_total
from kernel import spreadsheets

Row = Sequence[Any]


def _safe(value: Any) -> Any:
    # CSV has no cell types: a value that starts like a formula gets Excel's quote prefix as text.
    if spreadsheets.is_formula_like(value):
        return "'" + value
    return value


def _score(value: Any) -> Any:
    """A score as a number rounded to 2 places (never the text '420.00'); blank when absent."""
    return "" if value is None else round(float(value), 2)


def judge_rows(judge: Judge, programme: Programme, show_entrant: bool, entrant_names: dict[str, str],
               for_judge: bool = False, stage: Optional[str] = None) -> list[Row]:
    """One judge's sheets: only the entries that judge may see; the entrant only when allowed.

    For the judge themself the entries are labelled with their judge codes, never the reference
    numbers (whose gaps would tell how many entries are hidden from them)."""
    criteria = programme.criteria
    header = [_("Reference"), *([_("Municipality")] if show_entrant else []), _("Category"), _("Title"),
              *[c.name for c in criteria], _("Weighted total"), _("Status"), _("Comment")]
    categories = {c.id: c.name for c in programme.categories}
    stage = stage or programme.stage
    sheets = sheets_of_judge(judge, stage)
    rows: list[Row] = [header]
    specs = criterion_specs(programme)
    visible = visible_submissions(judge, programme, stage)
    if not for_judge:
        visible.sort(key=lambda s: s.reference_no)
    for submission in visible:
        sheet = sheets.get(submission.id)
        values = sheet.values() if sheet else {}
        complete = len(values) == len(criteria) and bool(criteria)
        rows.append([
            judge_code(submission.id) if for_judge else submission.reference,
            *([entrant_names.get(submission.entrant_code, "")] if show_entrant else []),
            categories.get(submission.category_id, ""), submission.title,
            *[values.get(c.id, "") for c in criteria],
            weighted_total(specs, values) if complete else "",
            _("Submitted") if sheet and sheet.is_final else (_("Draft") if sheet else _("Not started")),
            sheet.comment if sheet else "",
        ])
    return rows


def overall_rows(programme: Programme, entrant_names: dict[str, str], stage: Optional[str] = None) -> list[Row]:
    """Every judge's sheets of one stage (the current one by default; curators only), with a stage column."""
    stage = stage or programme.stage
    rows: list[Row] = []
    for judge in list_judges(programme):
        sheet_rows = judge_rows(judge, programme, True, entrant_names, stage=stage)
        if not rows:
            rows.append([_("Stage"), _("Judge"), *sheet_rows[0]])
        rows.extend([stage_name(stage), judge.display_name, *r] for r in sheet_rows[1:])
    return rows or [[_("Stage"), _("Judge")]]


def stage_name(stage: str) -> str:
    return _("Final") if stage == "final" else _("First screening")


def result_rows(programme: Programme, rows: list[ResultRow], entrant_names: dict[str, str],
                stage: Optional[str] = None) -> list[Row]:
    categories = {c.id: c.name for c in programme.categories}
    out: list[Row] = [[_("Stage"), _("Category"), _("Rank"), _("Reference"), _("Municipality"), _("Title"),
                       _("Judges"), _("Raw mean"), _("Normalised score")]]
    for row in rows:
        r = row.result
        out.append([stage_name(stage or programme.stage), categories.get(r.category_id, ""), r.rank or "",
                    row.submission.reference,
                    entrant_names.get(row.submission.entrant_code, ""), row.submission.title, r.judges,
                    _score(r.raw_mean), _score(r.normalised)])
    return out


def to_csv(rows: list[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: dict[str, list[Row]]) -> bytes:
    """Each sheet through kernel.spreadsheets: typed text never a formula, scores as numbers (0.00)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            spreadsheets.write_row(sheet, list(row), [DECIMAL if isinstance(v, float) else None for v in row])
        spreadsheets.finish(sheet)
    return spreadsheets.save(workbook)


DECIMAL = "0.00"
