"""The stamp block stays on the page of the sheet's last section, whatever the length (issue 18.2).

Every sheet extends print/sheet.html, whose sign-off (the closing part and the 回覧・決裁 boxes) breaks
as one block. A sheet whose text ends just above a page foot is where the boxes used to fall alone onto
the next page: cases of growing length walk the end of the text across a page boundary, and each
printed sheet must show text of the case on the page that carries the boxes.
"""
from __future__ import annotations

import re

import pytest

from kernel.extensions import db
from tenants.context import as_tenant
from tests.browser.conftest import dev_login
from tests.browser.pdf import page_pdf_pages, page_pdf_text
from tests.factories.casebook import make_case

pytestmark = pytest.mark.browser
OME = "132055"
LINE = "申請書の受付から審査、決定通知の発送までを電子化し、窓口の待ち時間を短縮した。"


def _cases_of_growing_length(live_app) -> list[int]:  # type: ignore[no-untyped-def]
    """Cases whose 連絡先 (their last section) ends at successive heights of the first page and beyond."""
    ids = []
    with live_app.app_context(), as_tenant(OME):
        for lines in range(24, 44):
            case = make_case(OME, "member@ome.example.jp", title=f"改ページ確認 {lines}",
                             approach="\n\n".join([LINE] * lines), contact="情報政策課 デジタル推進係（内線 2345）")
            ids.append(case.id)
        db.session.commit()
    return ids


def test_the_boxes_never_stand_alone_on_a_page(page, live_app) -> None:  # type: ignore[no-untyped-def]
    ids = _cases_of_growing_length(live_app)
    dev_login(page, "member")  # 青梅市
    page_counts = set()
    for case_id in ids:
        pages = page_pdf_pages(page, f"/cases/{case_id}/print")
        page_counts.add(len(pages))
        assert "\n".join(pages).count("起案者") == 1, case_id  # one stamp block
        assert "起案者" in pages[-1] and "内線 2345" in pages[-1], (case_id, len(pages), pages[-1][:200])
    assert len(page_counts) > 1  # the lengths did cross a page boundary: the check above was put to work


@pytest.mark.parametrize("sheet", ["casebook", "workload"])
def test_every_sheet_has_one_block_and_a_way_back(page, sheet: str) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "tenant_admin" if sheet == "workload" else "member")  # 青梅市
    if sheet == "casebook":
        page.goto("/casebook")
        hrefs = [a.get_attribute("href") or "" for a in page.locator("a[href^='/casebook/']").all()]
        href = next(h for h in hrefs if re.fullmatch(r"/casebook/\d+", h))
    else:
        page.goto("/workload/")
        link = page.locator("a[href*='/results']").first
        href = (link.get_attribute("href") or "").split("?")[0]
    text, _pages = page_pdf_text(page, href + "/print")
    assert text.count("起案者") == 1 and "回覧・決裁" in text
    page.emulate_media(media="screen")  # the way back is a screen-only control
    page.goto(href + "/print")
    assert page.get_by_role("link", name="戻る").get_attribute("href").endswith(href)
