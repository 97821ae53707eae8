"""Journey: 江東区 writes a case → its admin approves → a curator publishes → 青梅市 finds it with a Japanese
query and adopts it → 江東区 sees the adoption. Then the printed sheet of the published case."""
from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import dev_login
from tests.browser.pdf import page_pdf_text

pytestmark = pytest.mark.browser

TITLE = "粗大ごみ収集のオンライン申請とキャッシュレス決済"


def test_case_travels_from_koto_to_ome(page, new_page) -> None:  # type: ignore[no-untyped-def]
    koto = page
    dev_login(koto, "other_member")
    koto.goto("/cases/new")
    koto.get_by_label("タイトル").fill(TITLE)
    koto.get_by_label("概要").fill("粗大ごみの収集申込みを、電話だけでなくスマートフォンから24時間受け付けるようにした。")
    koto.get_by_label("課題", exact=True).fill("年度末は電話がつながらず、子どもを連れた住民から苦情が多かった。")
    koto.get_by_label("テーマ").fill("住民サービス向上、キャッシュレス")
    koto.get_by_label("年度").fill("2025")
    koto.get_by_label("段階").select_option("implemented")
    koto.get_by_role("button", name="保存").click()
    koto.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = koto.url
    assert koto.locator("h1").inner_text() == TITLE
    koto.get_by_role("button", name="事例集への提出を申請").click()
    assert koto.get_by_test_id("release").inner_text() == "承認待ち"

    admin = new_page()
    dev_login(admin, "other_admin")
    admin.goto(case_url)
    admin.get_by_role("button", name="都への提出を承認").click()
    admin.get_by_test_id("confirm-button").click()  # the sign-off asks first (issue 17.6)
    assert admin.get_by_test_id("submission").inner_text() == "都の審査待ち"

    curator = new_page()
    dev_login(curator, "curator")
    curator.goto("/curation")
    curator.get_by_role("link", name=TITLE).click()
    expect(curator.get_by_role("heading", name="個人情報の確認")).to_be_visible()
    curator.get_by_role("button", name="事例集に公開").click()
    curator.get_by_test_id("confirm-button").click()  # the step asks first (issue 17.6)
    curator.wait_for_url(re.compile(r".*/casebook/\d+$"))

    ome = new_page()
    dev_login(ome, "member")
    ome.goto("/casebook")
    # A katakana variant (ゴミ for ごみ), a full-width space and a synonym (電子申請 ≈ オンライン申請).
    ome.get_by_role("searchbox", name="事例集を検索").fill("粗大ゴミ　電子申請")
    ome.get_by_role("button", name="検索").click()
    hit = ome.get_by_test_id("hit").filter(has_text=TITLE)
    # count() does not wait: wait for the results page first (the click navigates).
    expect(hit.locator("mark").first).to_be_visible()
    hit.get_by_role("link", name=TITLE).click()
    ome.get_by_role("button", name="自団体でこの事例を横展開する").click()
    assert "横展開 1団体" in ome.get_by_test_id("adoption-count").inner_text()

    koto.goto("/cases")
    adoptions = koto.get_by_test_id("our-adoptions")
    assert "青梅市" in adoptions.inner_text() and TITLE in adoptions.inner_text()
    koto.goto(case_url)
    assert "青梅市" in koto.get_by_test_id("adopters").inner_text()

    raw, pages = page_pdf_text(ome, ome.url.split("#")[0] + "/print")
    # PDF text extraction yields CJK radicals (⼤ for 大) and line breaks: normalise before comparing.
    text = unicodedata.normalize("NFKC", raw).replace("\n", "")
    assert TITLE in text and "江東区" in text and "梅市" in text  # the source and the printing municipality
    assert re.search(r"令和\d+年", text) and re.search(r"\d{4}年\d+月\d+日", text)
    assert f"1 / {pages}" in text


def test_narrowing_down_by_several_values_and_finding_a_mistyped_word(page) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "member")
    page.goto("/casebook?q=窓口")
    expect(page.get_by_text("異なる項目の値はすべてに当てはまる事例（AND）")).to_be_visible()
    # Two themes (OR), chosen one after the other from the facet list.
    facets = page.locator("aside.facets")
    facets.get_by_role("link", name=re.compile("^☐ 住民サービス向上")).click()
    facets.get_by_role("link", name=re.compile("^☐ 窓口改革")).click()
    chips = page.locator("ul.chips > li")
    expect(chips).to_have_count(2)
    # Each chosen value is removed on its own by its ✕, named for what it removes.
    page.get_by_role("link", name="絞り込みを外す: テーマ: 住民サービス向上").click()
    expect(chips).to_have_count(1)
    assert "窓口改革" in chips.first.inner_text()
    # A mistyped word finds nothing; the page offers the word of the casebook it resembles.
    page.goto("/casebook?q=チャットボッド")
    page.get_by_test_id("did-you-mean").get_by_role("link", name="チャットボット").click()
    expect(page.get_by_test_id("hit").first).to_be_visible()
    # A case shows the published cases related to it.
    page.get_by_test_id("hit").first.get_by_role("link").first.click()
    expect(page.get_by_test_id("related").get_by_role("link").first).to_be_visible()
