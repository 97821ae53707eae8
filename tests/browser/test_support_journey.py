"""Journey: 青梅市 asks TMG for BPR support on 学童 applications → its admin approves → TMG triages and
staffs the supporter suggested for BPR → a meeting and time are logged → outcomes entered → the survey
answered → a draft case created → approved → published → 江東区 finds it in the casebook, marked
"supported by TMG". 江東区 never reaches the request, its workspace, file or survey."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import dev_login

pytestmark = pytest.mark.browser

TITLE = "学童クラブ入会申請の業務改革（伴走支援ジャーニー）"
NOTE = "内部メモ：申請書の記載項目は22項目、うち9項目は住基から転記可能"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _move(page, stage: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("次の段階").select_option(label=stage)
    page.get_by_role("button", name="移動する").click()
    expect(page.get_by_test_id("engagement-status")).to_have_text(stage)


def test_support_engagement_from_request_to_published_case(page, new_page) -> None:  # type: ignore[no-untyped-def]
    ome = page
    dev_login(ome, "member")
    ome.goto("/support/new")
    ome.get_by_label("件名").fill(TITLE)
    ome.get_by_label("テーマ").select_option(label="業務改革（BPR）")
    ome.get_by_label("課題").fill("学童クラブの入会申請は紙で年間約1,500件。申請書の転記と審査に毎年2月に残業が集中している。")
    ome.get_by_label("担当部署").fill("子ども家庭部 子育て推進課")
    ome.get_by_label("希望開始日").fill("2027-04-01")
    ome.get_by_label("希望終了日").fill("2027-09-30")
    ome.get_by_label("添付ファイル（任意）").set_input_files(
        {"name": "現行の申請書.pdf", "mimeType": "application/pdf", "buffer": PDF})
    ome.get_by_role("button", name="保存").click()
    ome.wait_for_url(re.compile(r".*/support/\d+$"))
    request_url = ome.url
    file_url = ome.get_by_role("link", name="現行の申請書.pdf").get_attribute("href")
    expect(ome.get_by_test_id("engagement-status")).to_have_text("下書き")
    ome.get_by_role("button", name="承認を依頼").click()
    expect(ome.get_by_test_id("engagement-status")).to_have_text("承認待ち")

    admin = new_page()
    dev_login(admin, "tenant_admin")
    admin.goto(request_url)
    admin.get_by_role("button", name="承認して東京都に送る").click()
    expect(admin.get_by_test_id("engagement-status")).to_have_text("受付")

    desk = new_page()
    dev_login(desk, "supporter")
    desk.goto("/support/desk")
    desk.get_by_test_id("board").get_by_role("link", name=TITLE).click()
    _move(desk, "優先度付け")
    _move(desk, "要件確認")
    desk.get_by_role("link", name="担当者を割り当てる").click()
    first = desk.get_by_test_id("suggestions").locator("li").first
    expect(first.get_by_role("heading")).to_have_text("都庁 伴走 支援")
    expect(first.get_by_test_id("reason")).to_contain_text("業務改革（BPR）（エキスパート）")
    first.get_by_role("button", name="都庁 伴走 支援を割り当てる").click()
    expect(desk.get_by_test_id("supporters")).to_contain_text("都庁 伴走 支援（東京都）")
    _move(desk, "計画")
    _move(desk, "実施中")

    meeting = desk.locator("form[action$='/meetings']")
    desk.get_by_text("会議を記録", exact=True).click()
    meeting.get_by_label("日付").fill("2026-11-10")
    meeting.get_by_label("件名").fill("キックオフ会議")
    meeting.get_by_label("出席者").fill("青梅 花子、都庁 伴走 支援")
    meeting.get_by_label("記録").fill(NOTE)
    meeting.get_by_role("button", name="会議を記録する").click()
    expect(desk.get_by_test_id("meetings")).to_contain_text("キックオフ会議")
    time = desk.locator("form[action$='/time']")
    time.get_by_label("日付").fill("2026-11-10")
    time.get_by_label("活動").select_option(label="ワークショップ")
    time.get_by_label("時間").fill("2.5")
    time.get_by_role("button", name="時間を記録").click()
    expect(desk.get_by_test_id("total-hours")).to_have_text("合計: 2.5時間")

    ome.goto(request_url)
    ome.get_by_text("指標を追加", exact=True).click()
    outcome = ome.locator("form[action$='/outcomes']")
    outcome.get_by_label("指標", exact=True).select_option(label="年間の職員作業時間")
    outcome.get_by_label("単位").fill("時間/年")
    outcome.get_by_label("実施前の値").fill("1,200")
    outcome.get_by_label("実施前の測定日").fill("2026-04-01")
    outcome.get_by_label("実施前の出典").fill("令和7年度 業務量調査")
    outcome.get_by_label("実施後の値").fill("450")
    outcome.get_by_label("実施後の測定日").fill("2026-11-30")
    outcome.get_by_label("実施後の出典").fill("電子申請システムの集計")
    outcome.get_by_role("button", name="指標を保存").click()
    expect(ome.get_by_test_id("outcomes")).to_contain_text("-750")

    desk.reload()
    _move(desk, "完了")

    ome.goto(request_url)
    ome.get_by_label("支援の満足度を教えてください").select_option("5")
    ome.get_by_label("ご意見").fill("業務フローの可視化から伴走していただき助かりました。")
    ome.get_by_role("button", name="回答を送信").click()
    expect(ome.get_by_test_id("survey-answered")).to_contain_text("5")
    ome.get_by_role("link", name="この支援から事例の下書きを作成").click()
    expect(ome.get_by_label("成果")).to_have_value(re.compile("1,200時間/年.*450時間/年"))
    ome.get_by_label("教訓").fill("最初に申請書の項目を棚卸しすると、転記の多くが不要だと分かる。")
    ome.get_by_role("button", name="事例の下書きを作成する").click()
    ome.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = ome.url
    assert NOTE not in ome.content()
    ome.get_by_role("button", name="事例集への提出を申請").click()
    admin.goto(case_url)
    admin.get_by_role("button", name="都への提出を承認").click()
    admin.get_by_test_id("confirm-button").click()  # the sign-off asks first (issue 17.6)

    curator = new_page()
    dev_login(curator, "curator")
    curator.goto("/curation")
    curator.get_by_role("link", name=TITLE).click()
    curator.get_by_role("button", name="事例集に公開").click()
    curator.get_by_test_id("confirm-button").click()  # the step asks first (issue 17.6)
    curator.wait_for_url(re.compile(r".*/casebook/\d+$"))

    koto = new_page()
    dev_login(koto, "other_member")
    koto.goto("/casebook")
    koto.get_by_role("searchbox", name="事例集を検索").fill("学童クラブ 入会申請")
    koto.get_by_role("button", name="検索").click()
    hit = koto.get_by_test_id("hit").filter(has_text=TITLE)
    expect(hit.get_by_role("link", name=TITLE)).to_be_visible()
    hit.get_by_role("link", name=TITLE).click()
    expect(koto.get_by_test_id("supported-by-tmg")).to_have_text("東京都の伴走型支援による事例")
    published = koto.content()
    assert NOTE not in published and "助かりました" not in published

    # 江東区 never reaches the engagement: page, file, API, its own support list.
    engagement_id = request_url.rsplit("/", 1)[1]
    for path in (request_url, file_url, f"/api/v1/support/engagements/{engagement_id}"):
        response = koto.request.get(path)
        assert response.status == 404, path
        assert NOTE not in response.text()
    koto.goto("/support/")
    assert TITLE not in koto.content()
