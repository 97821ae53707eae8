"""Excel (.xlsx): export of a casebook search result; the import template and its row validation."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from casebook.validation import ContentError, checked, empty_content, parse_kpi_lines
from portal.numbers import parse_whole

MAX_EXPORT_ROWS = 5000
MAX_IMPORT_ROWS = 2000
# (column header, content field): the same columns for the export and the import template.
COLUMNS = (
    ("タイトル", "title"), ("概要", "summary"), ("課題", "problem"), ("取組内容", "approach"), ("効果", "outcomes"),
    ("テーマ（、区切り）", "themes"), ("ツール（、区切り）", "tools"), ("年度（西暦）", "fiscal_year"),
    ("費用（円）", "cost_jpy"), ("担当部署", "department"), ("段階（idea/pilot/implemented/spreading）", "stage"),
    ("事業者（、区切り）", "vendors"), ("製品（、区切り）", "products"),
    ("関連する条例・要綱・規則（、区切り）", "ordinances"),
    ("教訓", "lessons"), ("横展開の条件", "replication_conditions"), ("連絡先", "contact"),
    ("後任の連絡先", "successor_contact"), ("KPI（名称|導入前|導入後|単位|測定日 を改行区切り）", "kpis"),
)
LIST_NAMES = {"themes", "tools", "vendors", "products", "ordinances"}


def _cell(value: Any, name: str) -> Any:
    if name == "kpis":
        return "\n".join("|".join(str(k.get(f, "")) for f in ("name", "before", "after", "unit", "measured_on"))
                         for k in value or [])
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never let a cell become a formula (CSV/Excel injection)
    return value


def export_entries(rows: list[tuple[Any, Any]]) -> io.BytesIO:
    """A workbook of casebook entries: municipality, then every content column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "事例集"
    ws.append(["ID", "団体コード", "団体名", "横展開数", *[h for h, _n in COLUMNS]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for entry, tenant in rows:
        ws.append([entry.id, entry.source_tenant_id, tenant.name_ja if tenant is not None else "",
                   entry.adoption_count, *[_cell(getattr(entry, n), n) for _h, n in COLUMNS]])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def import_template() -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "事例"
    ws.append([h for h, _n in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(["（記入例）書かない窓口の導入", "概要を記入", "", "", "", "窓口改革、BPR", "申請書作成支援システム",
               2024, 1000000, "市民課", "implemented", "", "", "", "", "", "", "", "待ち時間|120|60|分|2024-10-01"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def parse_workbook(data: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """(valid contents, messages per bad row). Nothing is written when any row is bad."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file is the same message to the person
        return [], ["Excel ファイル（.xlsx）として読めません。アプリのテンプレートを使ってください。"]
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    expected = [h for h, _n in COLUMNS]
    if header is None or [str(h or "").strip() for h in header[:len(expected)]] != expected:
        return [], ["1行目の見出しがテンプレートと違います。テンプレートをダウンロードして使ってください。"]
    contents: list[dict[str, Any]] = []
    messages: list[str] = []
    for number, row in enumerate(rows, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            messages.append(f"一度に取り込めるのは{MAX_IMPORT_ROWS}行までです。")
            break
        if row is None or all(v in (None, "") for v in row):
            continue
        if str(row[0] or "").startswith("（記入例）"):
            continue
        try:
            contents.append(_row_content(row))
        except ContentError as error:
            messages.append(f"{number}行目: {error.message}")
    return contents, messages


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
        elif name in LIST_NAMES:
            import re

            content[name] = [v.strip() for v in re.split(r"[、,，\n]+", str(value or "")) if v.strip()]
        else:
            content[name] = "" if value is None else str(value)
    if not content["stage"]:
        content["stage"] = "implemented"
    return checked(content, errors)
