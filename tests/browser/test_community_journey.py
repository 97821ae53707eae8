"""Journey: TMG sets up a CIO forum meeting with a closed item → 江東区's CIO registers → minutes drafted →
江東区 proposes an amendment → published → an action owned by 青梅市 appears on its admin's "waiting for
you" → closed with a link to a case. 千代田区, not a member, sees public items and closed items' titles only."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from kernel.i18n import TOKYO
from tests.browser.conftest import dev_login

pytestmark = pytest.mark.browser

KOTO_CIO = "131083:admin@koto.example.jp"
CHIYODA = "131016:member@chiyoda.example.jp"


def _local(dt: datetime) -> str:
    return dt.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")


def test_cio_forum_meeting_minutes_and_action(page, new_page) -> None:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:6]
    now = datetime.now(TOKYO)
    # TMG: a body with two member municipalities, a meeting under way with a public and a closed item.
    dev_login(page, "curator")
    page.goto("/community/")
    page.get_by_role("link", name="会議体を作成").click()
    page.get_by_label("名称").fill(f"CIOフォーラム {tag}")
    page.get_by_role("button", name="会議体を作成").click()
    for name in ("江東区", "青梅市"):
        page.get_by_label("団体", exact=True).select_option(label=name)
        page.get_by_label("代表者（氏名・役職）").fill(f"{name}CIO")
        page.get_by_role("button", name="構成団体を保存").click()
    expect(page.locator("#members").get_by_text("江東区CIO")).to_be_visible()
    page.get_by_role("link", name="会議を予定する").click()
    page.get_by_label("件名").fill(f"第1回 {tag}")
    page.get_by_label("開始（日本時間）").fill(_local(now - timedelta(minutes=30)))
    page.get_by_label("終了（日本時間）").fill(_local(now + timedelta(hours=2)))
    page.get_by_label("場所").fill("都庁第一本庁舎")
    page.get_by_role("button", name="会議を予定する").click()
    for title, body, closed in (("生成AIの活用共有", "各団体の活用状況を共有する", False),
                                ("共同調達の価格交渉方針", "交渉の上限額について協議する", True)):
        page.locator("#item-title").fill(title)
        page.locator("#item-description").fill(body)
        page.locator("#item-visibility-1" if closed else "#item-visibility-0").check()
        page.get_by_role("button", name="議題を追加する").click()
    meeting_url = page.url.split("#")[0]
    expect(page.get_by_test_id("agenda-item")).to_have_count(2)

    # 江東区's CIO registers online and can fetch the calendar file.
    koto = new_page()
    dev_login(koto, KOTO_CIO)
    koto.goto(meeting_url)
    assert koto.get_by_text("交渉の上限額について協議する").is_visible()  # a member reads the closed item
    koto.get_by_label("オンライン", exact=True).check()
    koto.get_by_role("button", name="回答を送る").click()
    assert "オンライン" in koto.get_by_test_id("my-registration").inner_text()
    with koto.expect_download() as download:
        koto.get_by_role("link", name="カレンダーに追加（.ics）").click()
    assert download.value.path().read_bytes().startswith(b"BEGIN:VCALENDAR")

    # 千代田区 is not a member: public content, closed title only.
    chiyoda = new_page()
    dev_login(chiyoda, CHIYODA)
    chiyoda.goto(meeting_url)
    assert chiyoda.get_by_text("各団体の活用状況を共有する").is_visible()
    assert chiyoda.get_by_text("共同調達の価格交渉方針").is_visible()
    assert chiyoda.get_by_text("交渉の上限額について協議する").count() == 0

    # The secretariat drafts the minutes and opens them to the attendees.
    page.goto(meeting_url)
    page.get_by_role("link", name="議事録を作成").click()
    page.get_by_label("概要").fill("都と区市町村のCIOが意見交換した。")
    sections = page.locator("textarea[name^='section-']")
    sections.nth(0).fill("江東区から生成AIの庁内利用状況の報告があった。")
    sections.nth(1).fill("上限額は非公開で合意した。")
    page.get_by_role("button", name="案を保存").click()
    page.get_by_role("button", name="出席者に案を確認してもらう").click()
    minutes_url = page.url.split("#")[0]

    # 江東区 proposes an amendment.
    koto.goto(minutes_url)
    koto.get_by_label("項目").select_option(label="生成AIの活用共有")
    koto.get_by_label("修正案の文言").fill("江東区から生成AIの全庁利用状況（約2,000人）の報告があった。")
    koto.get_by_label("理由").fill("人数を追記")
    koto.get_by_role("button", name="提案を送る").click()
    assert "事務局の確認待ち" in koto.get_by_test_id("amendment").inner_text()

    # The secretariat accepts it and publishes (ending the review period on purpose).
    page.goto(minutes_url)
    page.get_by_role("button", name="採用して反映").click()
    page.get_by_label("確認期間を今すぐ終了する").check()
    page.get_by_role("button", name="議事録を公開する").click()
    page.get_by_test_id("confirm-button").click()  # the step asks first (issue 17.6)
    assert "公開" in page.get_by_test_id("minutes-status").inner_text()
    chiyoda.goto(minutes_url)
    assert chiyoda.get_by_text("約2,000人").is_visible()
    assert chiyoda.get_by_text("上限額は非公開で合意した。").count() == 0
    assert chiyoda.get_by_text("江東 二郎").is_visible()  # attendees and their organisations

    # An action owned by 青梅市, already due.
    page.goto(meeting_url)
    page.get_by_label("事項", exact=True).fill(f"RPA導入手順書の共有 {tag}")
    page.get_by_label("担当団体").select_option(label="青梅市")
    page.get_by_label("期限", exact=True).fill((now - timedelta(days=1)).strftime("%Y-%m-%d"))
    page.get_by_role("button", name="事項を登録する").click()

    ome = new_page()
    dev_login(ome, "tenant_admin")
    waiting = ome.get_by_test_id("waiting-community.actions")
    expect(waiting).to_be_visible()
    before = int(waiting.locator(".waiting__count").inner_text())
    ome.goto("/cases")
    hrefs = [a.get_attribute("href") or "" for a in ome.locator("a[href^='/cases/']").all()]
    case_id = next(h.split("/")[2] for h in hrefs if h.split("/")[2].isdigit())
    ome.goto("/")
    ome.get_by_test_id("waiting-community.actions").get_by_role("link").click()
    ome.get_by_role("link", name=f"RPA導入手順書の共有 {tag}").click()
    expect(ome.locator("body")).to_contain_text("期限超過")
    ome.get_by_label("種類").select_option(label="事例")
    ome.get_by_label("番号").fill(case_id)
    ome.get_by_role("button", name="関連付ける").click()
    expect(ome.get_by_test_id("action-links").get_by_role("link")).to_have_count(1)
    ome.get_by_label("状況").select_option(label="完了")
    ome.get_by_label("メモ").fill("手順書を事例として登録した")
    ome.get_by_role("button", name="進捗を保存").click()
    assert "完了" in ome.get_by_test_id("action-status").inner_text()
    ome.goto("/")
    after = ome.get_by_test_id("waiting-community.actions")
    assert (int(after.locator(".waiting__count").inner_text()) if after.count() else 0) == before - 1
