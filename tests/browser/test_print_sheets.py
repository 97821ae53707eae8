"""Print sheets per role, read back from Chromium's A4 PDF (issue 18.2).

The demo's awarded TMG project (青梅市, 江東区, 千代田区): the organiser (TMG curator) gets the 決裁
sheet with the contract total, the tier reached, every municipality's allocation and the savings; a
participant its own per-item breakdown and nothing of the others; a judge the totals only. Every sheet
has one stamp block with the tenant's box count, on the same page as the sheet's last section, and a
way back to the object.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from devtools.demo.procurement import AWARDED_TITLE
from tests.browser.conftest import dev_login
from tests.browser.pdf import page_pdf_pages, page_pdf_text

pytestmark = pytest.mark.browser
NAMES = ("青梅市", "江東区", "千代田区")


def _project_url(page) -> str:  # type: ignore[no-untyped-def]
    page.goto("/procurement/")
    page.get_by_role("link", name=AWARDED_TITLE).first.click()
    return page.url.split("?")[0].rstrip("/").replace(page.url.split("/procurement/")[0], "")


def test_the_organisers_approval_sheet(page) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "curator")
    url = _project_url(page)
    text, pages = page_pdf_text(page, url + "/print")
    assert "共同調達（主催者決裁用）" in text and "契約総額" in text and "共同調達による削減額" in text
    assert "団体別の按分" in text and all(name in text for name in NAMES)
    assert "貴団体はまだ需要を申告していません" not in text
    assert "8,000円" in text  # the tier reached by the pooled 220 user licences (from 200: 8,000円)
    assert text.count("起案者") == 1
    last_page = page_pdf_pages(page, url + "/print")[-1]
    assert "経過" in last_page and "起案者" in last_page  # the boxes stay with the sheet's last section
    page.emulate_media(media="screen")  # the way back is a screen-only control
    page.goto(url + "/print")
    assert page.get_by_role("link", name="戻る").get_attribute("href").endswith(url)


def test_a_participants_sheet_has_its_own_breakdown_only(page) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "other_admin")  # 江東区
    url = _project_url(page)
    text, _pages = page_pdf_text(page, url + "/print")
    assert "江東区" in text and "負担額" in text and "単価" in text and "初期費用の按分額" in text
    assert "青梅市" not in text and "千代田区" not in text and "団体別の按分" not in text


def test_a_judge_sees_the_totals_and_no_declaration_prompt(page) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "judge")
    url = _project_url(page)
    text, _pages = page_pdf_text(page, url + "/print")
    assert "契約総額" in text and "需要の集計と到達した価格帯" in text
    assert "貴団体はまだ需要を申告していません" not in text and "団体別の按分" not in text
    assert not any(name in text for name in NAMES)


def test_the_tenant_sets_the_box_count(page) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "tenant_admin")  # 青梅市
    page.goto("/admin/print/")
    page.get_by_label("回覧・決裁欄の枠の数").fill("3")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("印刷の設定を保存しました")).to_be_visible()  # waits for the page after the POST
    url = _project_url(page)
    page.goto(url + "/print")
    assert page.get_by_test_id("approval-boxes").get_attribute("data-boxes") == "3"
    headers = page.get_by_test_id("approval-boxes").locator("th").all_inner_texts()
    assert headers == ["起案者", "係長", "決裁"]
    page.goto("/admin/print/")
    page.get_by_label("回覧・決裁欄の枠の数").fill("5")
    page.get_by_role("button", name="保存").click()
