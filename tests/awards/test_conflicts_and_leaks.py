"""Conflicts of interest, blind review and the embargo: nothing reveals what a viewer may not see."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from awards import judging, services
from awards.models import Judge, Programme, Recusal, ScoreSheet, Submission
from devtools.demo import CHIYODA
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import TMG_CODE
from tests.conftest import login
from tests.factories.awards import jp, user

CIO = f"{CHIYODA}:cio@chiyoda.example.jp"


def _chiyoda_entry_and_cio_judge(scenario):  # type: ignore[no-untyped-def]
    """千代田区 submits an entry; its CIO (a judge) is assigned to the whole category."""
    programme = db.session.get(Programme, scenario.programme_id)
    programme.judging_opens_at = programme.entry_opens_at  # reopen nothing: only timestamps
    member = user(CHIYODA, "member@chiyoda.example.jp")
    entry = services.create_entry(member, programme, scenario.category_id,
                                  {"title": "千代田区の窓口DX（秘匿）", "summary": "千代田区が実施"})
    services.request_approval(member, entry, programme)
    cio = user(CHIYODA, "cio@chiyoda.example.jp")
    submission = services.approve_entry(cio, entry, programme)
    judging.ensure_in_pool(cio)
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    judge = judging.add_judge(curator, programme, CHIYODA, cio.id)
    judging.assign(curator, programme, judge, category_id=scenario.category_id)
    bind_tenant(None)
    return submission.id, judge.id


def test_a_judge_never_sees_nor_counts_an_entry_of_their_own_municipality(app, client, in_app, scenario):  # type: ignore[no-untyped-def]
    own_sub, judge_id = in_app(lambda: _chiyoda_entry_and_cio_judge(scenario))
    login(client, CIO)
    page = client.get(f"/awards/judging/{scenario.programme_id}").get_data(as_text=True)
    assert "千代田区の窓口DX" not in page
    assert "E-00" not in page  # judges never see reference numbers: their gaps would count hidden entries
    assert "2件中0件提出済み" in page  # the two other entries, never three
    assert 'max="2"' in page
    assert client.get(jp(client, scenario, own_sub)).status_code == 404
    assert client.post(jp(client, scenario, own_sub), data={"action": "draft"}).status_code == 404
    assert client.post(jp(client, scenario, own_sub, "/recuse"), data={"reason": "x"}).status_code == 404
    csv_text = client.get(f"/awards/judging/{scenario.programme_id}/scores.csv").get_data(as_text=True)
    assert "千代田区の窓口DX" not in csv_text and "E-00" not in csv_text
    assert len(csv_text.strip().splitlines()) == 3  # header + the two visible entries
    xlsx = load_workbook(io.BytesIO(client.get(f"/awards/judging/{scenario.programme_id}/scores.xlsx").data))
    cells = [str(c.value) for row in xlsx.active.iter_rows() for c in row]
    assert not any("千代田区の窓口DX" in c for c in cells)
    assert client.get(f"/awards/programmes/{scenario.programme_id}/results").status_code == 404  # embargo
    home = client.get("/awards/").get_data(as_text=True)
    assert "2件中0件提出済み" in home

    def direct_assignment_refused():  # type: ignore[no-untyped-def]
        programme = db.session.get(Programme, scenario.programme_id)
        judge = db.session.get(Judge, judge_id)
        curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
        try:
            judging.assign(curator, programme, judge, submission=db.session.get(Submission, own_sub))
        except services.ServiceError as error:
            return error.message
        return None
    assert in_app(direct_assignment_refused) == "審査員を自分の団体の応募に割り当てることはできません。"


def test_a_code_known_from_another_judge_never_opens_a_hidden_entry(client, in_app, scenario):  # type: ignore[no-untyped-def]
    """The worker remembers which submission a judge code names (awards/judging.py): once TMG's judge has
    opened 千代田区's entry, its code is known, and 千代田区's CIO still gets the 404 of an unknown code."""
    own_sub, _judge_id = in_app(lambda: _chiyoda_entry_and_cio_judge(scenario))
    login(client, "judge")
    assert "千代田区の窓口DX" in client.get(jp(client, scenario, own_sub)).get_data(as_text=True)
    login(client, CIO)
    assert client.get(jp(client, scenario, own_sub)).status_code == 404
    assert client.post(jp(client, scenario, own_sub), data={"action": "draft"}).status_code == 404
    assert client.get(jp(client, scenario, scenario.submission_other)).status_code == 200


def test_curators_assignment_list_never_offers_a_judges_own_municipality(client, in_app, scenario):  # type: ignore[no-untyped-def]
    own_sub, judge_id = in_app(lambda: _chiyoda_entry_and_cio_judge(scenario))
    login(client, "curator")
    page = client.get(f"/awards/programmes/{scenario.programme_id}/judges").get_data(as_text=True)
    section = page.split(f'id="judge-{judge_id}"')[1].split("</section>")[0]
    assert f'value="s:{own_sub}"' not in section
    assert client.post(f"/awards/judges/{judge_id}/assign", data={f"judge-{judge_id}-target": f"s:{own_sub}"}
                       ).status_code == 303
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(judging.Assignment).where(
            judging.Assignment.submission_id == own_sub)) == 0
        db.session.remove()


def test_declared_conflict_hides_the_entry_removes_its_scores_and_shows_the_reason(client, in_app, scenario):  # type: ignore[no-untyped-def]
    login(client, "judge")
    response = client.post(jp(client, scenario, scenario.submission_other, "/recuse"),
                           data={"reason": "元職場の同僚が担当"})
    assert response.status_code == 302
    page = client.get(f"/awards/judging/{scenario.programme_id}").get_data(as_text=True)
    assert "応募 other" not in page and "1件中0件提出済み" in page
    assert client.get(jp(client, scenario, scenario.submission_other)).status_code == 404

    def counted():  # type: ignore[no-untyped-def]
        programme = db.session.get(Programme, scenario.programme_id)
        return [r.result.judges for r in judging.results(programme)]
    assert in_app(counted) == [0, 0]  # the earlier final sheet no longer counts
    login(client, "curator")
    judges_page = client.get(f"/awards/programmes/{scenario.programme_id}/judges").get_data(as_text=True)
    assert "元職場の同僚が担当" in judges_page


def test_an_empty_reason_is_refused_and_nothing_is_written(client, in_app, scenario):  # type: ignore[no-untyped-def]
    login(client, "judge")
    response = client.post(jp(client, scenario, scenario.submission_other, "/recuse"), data={"reason": "  "})
    assert response.status_code == 303
    assert "利害関係の理由を記入してください。" in client.get(response.headers["Location"]).get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Recusal)) == 0
        db.session.remove()


def _blind(scenario):  # type: ignore[no-untyped-def]
    programme = db.session.get(Programme, scenario.programme_id)
    programme.blind = True
    sub = db.session.get(Submission, scenario.submission_own)
    sub.title = "青梅市のRPA導入"
    sub.summary = "Ome City と青梅で進めた取組"
    db.session.flush()


def test_blind_review_hides_the_entrant_in_pages_files_and_exports(client, in_app, scenario):  # type: ignore[no-untyped-def]
    in_app(lambda: _blind(scenario))
    login(client, "judge")
    for path in (f"/awards/judging/{scenario.programme_id}", jp(client, scenario, scenario.submission_own),
                 f"/awards/judging/{scenario.programme_id}/scores.csv", f"/awards/programmes/{scenario.programme_id}",
                 "/awards/"):
        text = client.get(path).get_data(as_text=True)
        for name in ("青梅", "江東", "Ome", "Koto", "132055", "131083"):
            # The name standing on its own, not inside a random token (a CSRF token or a link's code once held
            # "…MyOmehr9…" and failed this test one run in a few hundred).
            assert not re.search(rf"(?<![A-Za-z0-9_-]){name}(?![A-Za-z0-9_-])", text), (path, name)
    score_page = client.get(jp(client, scenario, scenario.submission_own)).get_data(as_text=True)
    assert "〇〇のRPA導入" in score_page and "attachment-1.pdf" in score_page and "説明.pdf" not in score_page
    response = client.get(jp(client, scenario, scenario.submission_other, "/files/1"))
    assert response.status_code == 200
    assert 'filename=attachment-1.pdf' in response.headers["Content-Disposition"]
    assert PdfReader(io.BytesIO(response.data)).metadata is None
    xlsx = load_workbook(io.BytesIO(client.get(f"/awards/judging/{scenario.programme_id}/scores.xlsx").data))
    cells = " ".join(str(c.value) for row in xlsx.active.iter_rows() for c in row)
    assert "青梅" not in cells and "江東" not in cells and "団体" not in cells


def test_original_attachment_keeps_its_metadata_outside_blind_review(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "member")
    response = client.get(f"/awards/entries/{scenario.entry_own}/files/{scenario.file_own}")
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a Japanese file name must not break the HTTP header (RFC 6266)
    assert "filename*=UTF-8''%E8%B3%87%E6%96%99.pdf" in disposition
    assert PdfReader(io.BytesIO(response.data)).metadata["/Author"] == "作成者"


def test_results_are_embargoed_until_published_then_entrants_see_their_own(client, in_app, scenario):  # type: ignore[no-untyped-def]
    path = f"/awards/programmes/{scenario.programme_id}/results"
    for who in ("member", "tenant_admin", "judge", "operator", "other_member"):
        login(client, who)
        assert client.get(path).status_code == 404, who
    login(client, "curator")
    assert "公表前" in client.get(path).get_data(as_text=True)
    published = client.post(f"/awards/programmes/{scenario.programme_id}/publish", data={"confirm": "yes"})
    assert published.status_code == 302
    login(client, "other_member")  # 江東区: its entry was scored (4 × weight 2 = 8)
    page = client.get(path).get_data(as_text=True)
    assert "江東区の結果" in page and "8.00" in page
    assert "良い" not in page and "都庁 審査員" not in page  # no judge's comment nor name
    login(client, "member")  # 青梅市: unscored, unranked, never shown another's numbers
    page = client.get(path).get_data(as_text=True)
    assert "青梅市の結果" in page and "8.00" not in page and "応募 other" in page


def test_score_validation_lock_and_reopen(client, in_app, scenario):  # type: ignore[no-untyped-def]
    login(client, "judge")
    path = jp(client, scenario, scenario.submission_own)
    field = f"score-{scenario.criterion_id}"
    # '²' and '①' count as digits for str.isdigit() but not for int(): they were a 500 once
    for bad in ("3.5", "6", "0", "abc", "²", "①", "-", "--3"):
        response = client.post(path, data={field: bad, "action": "submit"})
        assert response.status_code == 400, bad
        assert "role=\"alert\"" in response.get_data(as_text=True)
    assert client.post(path, data={"action": "submit"}).status_code == 400  # every criterion required
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScoreSheet).where(
            ScoreSheet.submission_id == scenario.submission_own)) == 0
        db.session.remove()
    assert client.post(path, data={field: "３", "action": "draft"}).status_code == 302  # full-width, as an IME types
    assert client.post(path, data={field: "5", "action": "submit", "confirm": "yes"}).status_code == 302
    locked = client.post(path, data={field: "1", "action": "submit"})
    assert locked.status_code == 400 and "キュレーターに差し戻し" in locked.get_data(as_text=True)

    def sheet_id():  # type: ignore[no-untyped-def]
        return db.session.scalar(select(ScoreSheet.id).where(ScoreSheet.submission_id == scenario.submission_own))
    sid = in_app(sheet_id)
    login(client, "curator")
    assert client.post(f"/awards/sheets/{sid}/reopen").status_code == 302
    login(client, "judge")
    assert client.post(path, data={field: "2", "action": "submit", "confirm": "yes"}).status_code == 302


def test_progress_counts_only_final_sheets_of_visible_entries(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "judge")
    page = client.get(f"/awards/judging/{scenario.programme_id}").get_data(as_text=True)
    assert "2件中1件提出済み" in page
    assert "<svg" in page and "審査員ごとの加重合計点の分布" in page
