"""Journey: a curator creates a programme with a rubric → 江東区 and 千代田区 submit entries → 千代田区's CIO,
a judge, is kept away from its own entry automatically → judges score → the curator publishes → entrants
see the results."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from kernel.i18n import TOKYO
from tests.browser.conftest import ARTIFACTS, dev_login
from tests.browser.pdf import page_pdf_pages, page_pdf_text

pytestmark = pytest.mark.browser

CIO = "131016:cio@chiyoda.example.jp"


def _local(dt: datetime) -> str:
    return dt.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")


def _enter(page, programme_url: str, title: str, member: str, admin: str, new_page) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, member)
    page.goto(programme_url)
    page.get_by_role("link", name="応募を作成する").click()
    page.get_by_label("取組名").fill(title)
    page.get_by_label("取組概要").fill(f"{title}の概要")
    page.get_by_label("効果（数値）").fill("年間1,000時間の削減")
    page.get_by_role("button", name="下書き保存").click()
    page.get_by_role("button", name="承認を依頼する").click()
    assert "承認待ち" in page.get_by_test_id("entry-status").inner_text()
    entry_url = page.url
    approver = new_page()
    dev_login(approver, admin)
    approver.goto(entry_url)
    approver.get_by_role("button", name="承認して応募する").click()
    assert "提出済み" in approver.get_by_test_id("entry-status").inner_text()


def _score(page, title: str, value: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name=title).click()
    expect(page.locator("fieldset legend").first).to_be_visible()  # .all() does not wait for the new page
    for legend in page.locator("fieldset legend").all():
        fieldset = legend.locator("xpath=..")
        fieldset.get_by_label(re.compile(rf"^{value}")).check()
    page.get_by_role("button", name="採点を提出する").click()
    page.get_by_test_id("confirm-button").click()  # the step asks first (issue 17.6)
    page.wait_for_url("**/judging/**")


def test_award_programme_from_rubric_to_published_results(page, new_page) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(TOKYO)
    name = f"ジャーニー表彰 {uuid.uuid4().hex[:6]}"
    dev_login(page, "curator")
    page.goto("/awards/")
    page.get_by_role("link", name="新しいアワード").click()
    page.get_by_label("名称").fill(name)
    page.get_by_label("応募受付開始（日本時間）").fill(_local(now - timedelta(hours=1)))
    page.get_by_label("応募締切（日本時間）").fill(_local(now + timedelta(days=2)))
    page.get_by_label("審査開始（日本時間）").fill(_local(now + timedelta(days=3)))
    page.get_by_label("審査終了（日本時間）").fill(_local(now + timedelta(days=10)))
    page.get_by_role("button", name="アワードを作成").click()
    page.locator("#new-category-name").fill("行政サービス部門")
    page.get_by_role("button", name="部門を追加").click()
    page.locator("#new-criterion-name").fill("効果")
    page.locator("#new-criterion-weight").fill("2")
    page.locator("#new-criterion-levels").fill("効果なし\n小さい\n一定の効果\n大きい\n非常に大きい")
    page.get_by_role("button", name="評価基準を追加").click()
    page.locator("#new-criterion-name").fill("独自性")
    page.locator("#new-criterion-weight").fill("1")
    page.get_by_role("button", name="評価基準を追加").click()
    programme_url = page.url.split("/edit")[0]
    page.goto(programme_url + "/judges")
    for judge in ("都庁 審査員（東京都）", "千代田 CIO（千代田区）"):
        page.get_by_label("審査員", exact=True).select_option(label=judge)
        page.get_by_role("button", name="審査員を追加").click()
    expect(page.locator("section.awards-judge")).to_have_count(2)  # .all() does not wait for the last add
    for section in page.locator("section.awards-judge").all():
        section.get_by_label("割当先").select_option(label="部門：行政サービス部門")
        section.get_by_role("button", name="割り当てる").click()

    koto, chiyoda = new_page(), new_page()
    _enter(koto, programme_url, "江東区の電子申請", "131083:member@koto.example.jp", "131083:admin@koto.example.jp",
           new_page)
    _enter(chiyoda, programme_url, "千代田区の窓口DX", "131016:member@chiyoda.example.jp", CIO, new_page)

    page.goto(programme_url + "/edit")
    page.get_by_role("button", name="応募を締め切り、今すぐ審査を開始する").click()

    cio = new_page()
    dev_login(cio, CIO)
    cio.goto(programme_url.replace("/programmes/", "/judging/"))
    listing = cio.get_by_test_id("judging-list").inner_text()
    assert "江東区の電子申請" in listing and "千代田区の窓口DX" not in listing  # automatic conflict
    assert "1件中0件提出済み" in cio.get_by_test_id("progress-text").inner_text()
    _score(cio, "江東区の電子申請", "4")
    assert "1件中1件提出済み" in cio.get_by_test_id("progress-text").inner_text()

    judge = new_page()
    dev_login(judge, "judge")
    judge.goto(programme_url.replace("/programmes/", "/judging/"))
    _score(judge, "江東区の電子申請", "5")
    _score(judge, "千代田区の窓口DX", "2")
    assert "2件中2件提出済み" in judge.get_by_test_id("progress-text").inner_text()
    assert (judge.locator("svg title").first.text_content() or "").startswith("審査員ごとの加重合計点の分布")

    page.goto(programme_url + "/results")
    assert page.get_by_test_id("embargo").is_visible()
    koto.goto(programme_url + "/results")
    assert "ページが見つかりません" in koto.content() or koto.locator("h1").inner_text() != "結果"
    page.get_by_role("button", name="結果を公表する").click()
    page.get_by_test_id("confirm-button").click()  # the step asks first (issue 17.6)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "awards-results-curator.png"), full_page=True)

    koto.goto(programme_url + "/results")
    own = koto.get_by_test_id("own-result").inner_text()
    assert "江東区の電子申請" in own and "1" in own
    ranking = koto.locator("table[data-testid^=ranking-]").inner_text()
    assert ranking.index("江東区の電子申請") < ranking.index("千代田区の窓口DX")
    assert "都庁 審査員" not in koto.content() and "千代田 CIO" not in koto.content()
    chiyoda.goto(programme_url + "/results")
    assert "千代田区の窓口DX" in chiyoda.get_by_test_id("own-result").inner_text()

    koto.goto(programme_url)
    koto.get_by_role("link", name="江東区の電子申請").click()
    entry_id = koto.url.rstrip("/").rsplit("/", 1)[-1]
    text, pages = page_pdf_text(koto, f"/awards/entries/{entry_id}/print")
    assert "江東区" in text and "令和" in text and "取組概要" in text and f"1 / {pages}" in text
    assert text.count("起案者") == 1 and "回覧・決裁" in text  # one stamp block (there used to be two)
    last_page = page_pdf_pages(koto, f"/awards/entries/{entry_id}/print")[-1]
    assert "職員の工夫" in last_page and "起案者" in last_page  # the boxes stay with the sheet's last section
    koto.emulate_media(media="screen")  # the way back is a screen-only control
    koto.goto(f"/awards/entries/{entry_id}/print")
    assert koto.get_by_role("link", name="戻る").get_attribute("href").endswith(f"/awards/entries/{entry_id}")
