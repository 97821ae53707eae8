"""Shortlist into the final, curators' exports, and sending a winner to the casebook."""
from __future__ import annotations

import io
import sys
import types

import pytest
from openpyxl import load_workbook

from awards.models import Programme, Submission
from kernel.extensions import db
from tests.conftest import login
from tests.factories.awards import jp


def test_shortlist_moves_to_the_final_and_judges_see_only_the_shortlist(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "curator")
    path = f"/awards/programmes/{scenario.programme_id}"
    assert client.post(f"{path}/shortlist", data={}).status_code == 303  # nothing ticked: refused
    assert client.post(f"{path}/shortlist", data={"submission": [str(scenario.submission_other)]}).status_code == 302
    with client.application.app_context():
        assert db.session.get(Programme, scenario.programme_id).stage == "final"
        assert db.session.get(Submission, scenario.submission_own).shortlisted is False
        db.session.remove()
    login(client, "judge")
    page = client.get(f"/awards/judging/{scenario.programme_id}").get_data(as_text=True)
    assert "1件中0件提出済み" in page and "応募 own" not in page  # a new stage: a new sheet to submit
    assert client.get(jp(client, scenario, scenario.submission_own)).status_code == 404


def test_curator_exports_every_sheet_and_the_results(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "curator")
    csv_text = client.get(f"/awards/programmes/{scenario.programme_id}/scores.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff審査段階,審査員,受付番号,団体")
    assert "一次審査,都庁 審査員,E-002,江東区" in csv_text and ",8,提出済み,良い" in csv_text
    book = load_workbook(io.BytesIO(client.get(f"/awards/programmes/{scenario.programme_id}/scores.xlsx").data))
    assert book.sheetnames == ["採点", "結果"]
    results = [[c.value for c in row] for row in book["結果"].iter_rows()]
    assert results[1][:5] == ["一次審査", "行政サービス部門", 1, "E-002", "江東区"]
    assert results[1][7:] == [8, 8] and book["結果"].cell(2, 8).data_type == "n"  # scores as numbers
    svg = client.get(f"/awards/judges/{scenario.judge_id}/chart.svg")
    assert svg.mimetype == "image/svg+xml" and "審査員ごとの加重合計点の分布: 都庁 審査員" in svg.get_data(as_text=True)


def test_formula_like_cells_are_written_as_text(client, in_app, scenario):  # type: ignore[no-untyped-def]
    def rename():  # type: ignore[no-untyped-def]
        db.session.get(Submission, scenario.submission_other).title = "=HYPERLINK(\"http://x\")"
    in_app(rename)
    login(client, "curator")
    assert "'=HYPERLINK" in client.get(f"/awards/programmes/{scenario.programme_id}/scores.csv").get_data(as_text=True)


@pytest.fixture
def fake_casebook(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[tuple] = []
    module = types.ModuleType("casebook.integration")
    module.case_prefill = lambda case_id: {"title": "事例の題名", "summary": "事例の概要", "problem": "課題",  # type: ignore[attr-defined]
                                           "approach": "手法", "outcomes": "成果", "themes": "", "tools": "kintone"} \
        if case_id == 7 else None
    module.create_case_from_award = lambda tenant_id, fields, label, actor: calls.append(  # type: ignore[attr-defined]
        (tenant_id, fields["title"], label, actor)) or 4242
    monkeypatch.setitem(sys.modules, "casebook.integration", module)
    return calls


def test_start_from_a_case_prefills_the_entry_sheet(client, scenario, fake_casebook):  # type: ignore[no-untyped-def]
    login(client, "member")
    page = client.get(f"/awards/programmes/{scenario.programme_id}/entries/new?case=7").get_data(as_text=True)
    assert "事例の題名" in page and "課題" in page and "kintone" in page
    assert client.get(f"/awards/programmes/{scenario.programme_id}/entries/new?case=8").status_code == 404


def test_a_published_entry_goes_to_the_casebook_once(client, scenario, fake_casebook):  # type: ignore[no-untyped-def]
    login(client, "curator")
    path = f"/awards/submissions/{scenario.submission_other}/casebook"
    refused = client.post(path, follow_redirects=True)
    assert "先に結果を公表してください" in refused.get_data(as_text=True) and not fake_casebook
    published = client.post(f"/awards/programmes/{scenario.programme_id}/publish", data={"confirm": "yes"})
    assert published.status_code == 302
    assert client.post(path).status_code == 302
    assert fake_casebook[0][:2] == ("131083", "応募 other")
    assert client.post(path).status_code == 303 and len(fake_casebook) == 1


def test_demo_data_has_a_published_programme_judged_without_conflicts(client) -> None:  # type: ignore[no-untyped-def]
    import re

    from devtools.demo.awards import PUBLISHED_TITLE

    login(client, "member")
    index = client.get("/awards/").get_data(as_text=True)
    programme_id = re.search(r'/awards/programmes/(\d+)">' + re.escape(PUBLISHED_TITLE), index).group(1)
    page = client.get(f"/awards/programmes/{programme_id}/results").get_data(as_text=True)
    assert "青梅市の結果" in page and "電子申請で子育て手続をオンライン化" in page
    login(client, "curator")
    csv_text = client.get(f"/awards/programmes/{programme_id}/scores.csv").get_data(as_text=True)
    assert "千代田 CIO" in csv_text and not re.search(r"千代田 CIO,E-\d+,千代田区", csv_text)


def test_each_stage_keeps_its_results_and_the_shortlist_record(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "curator")
    path = f"/awards/programmes/{scenario.programme_id}"
    assert client.post(f"{path}/shortlist", data={"submission": [str(scenario.submission_other)]}).status_code == 302
    page = client.get(f"{path}/results").get_data(as_text=True)
    screening = page.split('data-testid="stage-screening"', 1)[1].split('data-testid="stage-final"', 1)[0]
    assert "一次審査" in screening and "E-002" in screening  # the screening ranking is still shown
    assert 'data-testid="shortlist-record"' in screening and "都庁 キュレーター" in screening
    judge_table = screening.split('data-testid="judge-table-screening"', 1)[1].split("</table>", 1)[0]
    assert "都庁 審査員" in judge_table and "算入しない（σ = 0）" in judge_table  # one entry scored: no spread
    assert 'data-testid="stage-final"' in page
    book = load_workbook(io.BytesIO(client.get(f"{path}/scores.xlsx").data))
    stages = {row[0] for row in book["結果"].iter_rows(min_row=2, values_only=True)}
    assert stages == {"一次審査", "本審査"}  # the export keeps the screening results too
    login(client, "member")
    assert client.get(f"{path}/results").status_code == 404  # embargoed for entrants
