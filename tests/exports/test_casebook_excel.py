"""Casebook Excel as staff use it: stage labels, formats, plain text, frozen header and filter, round trip."""
from __future__ import annotations

import io
import json
from pathlib import Path

from openpyxl import load_workbook

from casebook import excel
from casebook.validation import check_content, from_json

CORPUS = Path("/work/shared/data/casebook_corpus.jsonl")


def _corpus(n: int) -> list[dict]:  # type: ignore[type-arg]
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:n] if CORPUS.exists() else []
    contents = []
    for line in lines:
        obj = json.loads(line)
        obj.pop("tenant_code", None)
        obj.pop("external_id", None)
        contents.append(check_content(from_json(obj)))
    return contents


def test_export_then_import_gives_back_the_same_cases(app_ctx) -> None:  # type: ignore[no-untyped-def]
    contents = _corpus(12) or [check_content(from_json({"title": "書かない窓口", "summary": "**粗大ごみ**の受付"}))]
    for content, stage in zip(contents, ["idea", "pilot", "implemented", "spreading"] * 3, strict=False):
        content["stage"] = stage
        content["kpis"] = [{"name": "待ち時間", "before": "120", "after": "60", "unit": "分",
                            "measured_on": "2024-10-01"}]
    data = excel.cases_workbook(contents)
    parsed, problems = excel.parse_workbook(data)
    assert problems == []
    assert parsed == contents


def test_stage_is_written_and_read_as_the_form_labels(app_ctx) -> None:  # type: ignore[no-untyped-def]
    content = check_content(from_json({"title": "試行の事例", "stage": "implemented", "cost_jpy": 1_234_567,
                                       "fiscal_year": 2024}))
    data = excel.cases_workbook([content])
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    stage = sheet.cell(2, header.index("段階（構想/試行/本格導入/横展開中）") + 1)
    assert stage.value == "本格導入"
    cost = sheet.cell(2, header.index("費用（円）") + 1)
    assert cost.value == 1_234_567 and cost.data_type == "n" and cost.number_format == '#,##0"円"'
    year = sheet.cell(2, header.index("年度（西暦）") + 1)
    assert year.value == 2024 and year.number_format == "0"
    last = sheet.cell(1, sheet.max_column).column_letter
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{last}2"
    assert sheet.column_dimensions["A"].width > 8
    for typed, code in (("本格導入", "implemented"), ("試行", "pilot"), ("Spreading", "spreading"), ("idea", "idea"),
                        (" 構想 ", "idea")):
        stage.value = typed
        buffer = io.BytesIO()
        sheet.parent.save(buffer)
        parsed, problems = excel.parse_workbook(buffer.getvalue())
        assert problems == [] and parsed[0]["stage"] == code, typed
    stage.value = "完了"
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    parsed, problems = excel.parse_workbook(buffer.getvalue())
    assert parsed == [] and len(problems) == 1
    assert (problems[0].row, problems[0].column, problems[0].value) == (2, "K（段階）", "完了")
    assert "「構想」「試行」「本格導入」「横展開中」のいずれか" in problems[0].message


def test_the_search_export_is_plain_text(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    entry = SimpleNamespace(id=7, source_tenant_id="132055", adoption_count=3, **{
        **check_content(from_json({"title": "粗大ごみ",
                                   "summary": "**粗大ごみ**の受付を\n\n- 電話\n- Web\n\n[詳細](https://x.example.jp)"})),
        "stage": "spreading"})
    data = excel.export_entries([(entry, SimpleNamespace(name_ja="青梅市"))]).getvalue()
    sheet = load_workbook(io.BytesIO(data)).active
    row = {h.value: c.value for h, c in zip(sheet[1], sheet[2], strict=True)}
    assert row["概要"] == "粗大ごみの受付を\n・電話\n・Web\n詳細"
    assert row["段階（構想/試行/本格導入/横展開中）"] == "横展開中"
    assert row["団体名"] == "青梅市" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
