"""Excel (.xlsx): export of a casebook search result; the import template, its rows and their validation.

Every cell goes through ``kernel.spreadsheets`` (formula-like text stays text, numbers and yen keep
their formats, bold frozen header, filter, widths). Stages are written with the labels the web form
shows (構想 / 試行 / 本格導入 / 横展開中); an import accepts those labels, the English ones and the
codes. The read-only search export turns Markdown into plain text; the import sheet keeps the
Markdown the person typed, so that export → import gives back the same case.
"""
from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from typing import Any, Optional

from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from casebook.models import MARKDOWN_FIELDS, STAGES
from casebook.rendering import render_markdown
from casebook.validation import ContentError, checked, empty_content, kpi_lines, parse_kpi_lines
from kernel import spreadsheets
from kernel.numbers import parse_whole

MAX_EXPORT_ROWS = 5000
MAX_IMPORT_ROWS = 2000
# (column header, content field): the same columns for the export and the import template.
COLUMNS = (
    ("タイトル", "title"), ("概要", "summary"), ("課題", "problem"), ("取組内容", "approach"), ("効果", "outcomes"),
    ("テーマ（、区切り）", "themes"), ("ツール（、区切り）", "tools"), ("年度（西暦）", "fiscal_year"),
    ("費用（円）", "cost_jpy"), ("担当部署", "department"), ("段階（構想/試行/本格導入/横展開中）", "stage"),
    ("事業者（、区切り）", "vendors"), ("製品（、区切り）", "products"),
    ("関連する条例・要綱・規則（、区切り）", "ordinances"),
    ("教訓", "lessons"), ("横展開の条件", "replication_conditions"), ("連絡先", "contact"),
    ("後任の連絡先", "successor_contact"), ("KPI（名称|導入前|導入後|単位|測定日 を改行区切り）", "kpis"),
)
LIST_NAMES = {"themes", "tools", "vendors", "products", "ordinances"}
FORMATS = {"fiscal_year": "0", "cost_jpy": spreadsheets.YEN}
TEMPLATE_SHEET = "事例"
UNREADABLE = "Excel ファイル（.xlsx）として読めません。アプリのテンプレートを使ってください。"
WRONG_HEADER = "1行目の見出しがテンプレートと違います。テンプレートをダウンロードして使ってください。"


def stage_labels() -> dict[str, str]:
    """code → the label the web form shows, in Japanese (the files are Japanese whatever the UI)."""
    from casebook.labels import STAGE_LABELS

    with force_locale("ja"):
        return {code: str(label) for code, label in STAGE_LABELS.items()}


def _stage_code(value: Any) -> Optional[str]:
    """A stage from a cell: the code, the Japanese or the English label; None when unknown."""
    from casebook.labels import STAGE_LABELS

    text = str(value or "").strip()
    if not text:
        return "implemented"
    if text.lower() in STAGES:
        return text.lower()
    for code, label in stage_labels().items():
        if text == label:
            return code
    with force_locale("en"):
        english = {str(label).lower(): code for code, label in STAGE_LABELS.items()}
    return english.get(text.lower())


def plain_text(markdown: str) -> str:
    """Markdown → readable plain text for a spreadsheet cell (no ** or #; list items as ・)."""
    if not markdown:
        return ""
    rendered = str(render_markdown(markdown))
    rendered = re.sub(r"<li>\s*", "・", rendered)
    rendered = re.sub(r"<br\s*/?>", "\n", rendered)
    rendered = re.sub(r"</(p|li|h[3-6]|tr|blockquote|pre)>", "\n", rendered)
    rendered = re.sub(r"</t[dh]>", "\t", rendered)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    return re.sub(r"\n{2,}", "\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def _cell(value: Any, name: str, plain: bool = False) -> Any:
    if name == "kpis":
        return kpi_lines(value or [])
    if name == "stage":
        return stage_labels().get(value, value)
    if isinstance(value, list):
        return "、".join(value)
    if plain and name in MARKDOWN_FIELDS:
        return plain_text(value or "")
    return value


def _formats(offset: int = 0) -> list[Optional[str]]:
    return [None] * offset + [FORMATS.get(n) for _h, n in COLUMNS]


def export_entries(rows: list[tuple[Any, Any]]) -> io.BytesIO:
    """A workbook of casebook entries for reading: municipality, then every content column as plain text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "事例集"
    spreadsheets.write_table(
        ws, ["ID", "団体コード", "団体名", "横展開数", *[h for h, _n in COLUMNS]],
        ([entry.id, entry.source_tenant_id, tenant.name_ja if tenant is not None else "", entry.adoption_count,
          *[_cell(getattr(entry, n), n, plain=True) for _h, n in COLUMNS]] for entry, tenant in rows),
        formats=["0", "@", None, None, *_formats()])
    return io.BytesIO(spreadsheets.save(wb))


def cases_workbook(contents: list[dict[str, Any]]) -> bytes:
    """Cases in the import sheet's own format (Markdown kept): what ``parse_workbook`` reads back."""
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    spreadsheets.write_table(ws, [h for h, _n in COLUMNS],
                             ([_cell(content.get(n), n) for _h, n in COLUMNS] for content in contents),
                             formats=_formats())
    return spreadsheets.save(wb)


def import_template() -> io.BytesIO:
    example = {**empty_content(), "title": "（記入例）書かない窓口の導入", "summary": "概要を記入",
               "themes": ["窓口改革", "BPR"], "tools": ["申請書作成支援システム"], "fiscal_year": 2024,
               "cost_jpy": 1000000, "department": "市民課", "stage": "implemented",
               "kpis": [{"name": "待ち時間", "before": "120", "after": "60", "unit": "分",
                         "measured_on": "2024-10-01"}]}
    return io.BytesIO(cases_workbook([example]))


@dataclass(frozen=True)
class Problem:
    """One problem of an uploaded sheet: one row of the import report."""

    row: int
    column: str  # "C（課題）", or "" for the whole file
    value: str
    message: str


def _header_key(text: Any) -> str:
    return re.split(r"[（(]", str(text or "").strip(), maxsplit=1)[0]


def _column(name: str) -> str:
    for index, (header, field) in enumerate(COLUMNS, start=1):
        if field == name:
            return f"{get_column_letter(index)}（{_header_key(header)}）"
    return ""


def parse_workbook(data: bytes) -> tuple[list[dict[str, Any]], list[Problem]]:
    """(valid contents, one Problem per bad cell). Nothing is written when any row is bad."""
    try:
        spreadsheets.check_upload(data)
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except spreadsheets.SpreadsheetRejected as error:
        return [], [Problem(0, "", "", error.message)]
    except Exception:  # noqa: BLE001 - any unreadable file is the same message to the person
        return [], [Problem(0, "", "", UNREADABLE)]
    try:
        return _parse_rows(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def _parse_rows(rows: Any) -> tuple[list[dict[str, Any]], list[Problem]]:
    header = next(rows, None)
    expected = [_header_key(h) for h, _n in COLUMNS]
    if header is None or [_header_key(h) for h in header[:len(expected)]] != expected:
        return [], [Problem(1, "", "", WRONG_HEADER)]
    contents: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, row in enumerate(rows, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            problems.append(Problem(number, "", "", spreadsheets.too_many_rows(MAX_IMPORT_ROWS)))
            break
        if row is None or all(v in (None, "") for v in row):
            continue
        if str(row[0] or "").startswith("（記入例）"):
            continue
        try:
            contents.append(_row_content(row))
        except ContentError as error:
            for name, message in error.errors.items():
                index = next((i for i, (_h, n) in enumerate(COLUMNS) if n == name), None)
                value = row[index] if index is not None and index < len(row) else None
                problems.append(Problem(number, _column(name), "" if value is None else str(value)[:80], message))
    return contents, problems


def _row_content(row: tuple[Any, ...]) -> dict[str, Any]:
    content = empty_content()
    errors: dict[str, str] = {}
    for index, (_header, name) in enumerate(COLUMNS):
        value = row[index] if index < len(row) else None
        if name in ("fiscal_year", "cost_jpy"):
            if value in (None, ""):
                content[name] = None
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
                content[name] = int(value)
            elif isinstance(value, str) and (number := parse_whole(value.replace(",", ""))) is not None:
                content[name] = number
            else:
                errors[name] = "整数で入力してください。"
        elif name == "kpis":
            content[name] = parse_kpi_lines(str(value or ""), errors)
        elif name == "stage":
            code = _stage_code(value)
            if code is None:
                errors[name] = "「" + "」「".join(stage_labels().values()) + "」のいずれかを入力してください。"
            content[name] = code or "implemented"
        elif name in LIST_NAMES:
            content[name] = [v.strip() for v in re.split(r"[、,，\n]+", str(value or "")) if v.strip()]
        else:
            content[name] = "" if value is None else str(value)
    return checked(content, errors)
