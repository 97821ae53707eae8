"""Printable sheets (回覧・決裁): A4 PDFs from Chromium with the municipality, the date in 和暦 and 西暦,
page numbers, and the document's own text.

The base sheet (print/sheet.html) is checked with a sample long enough for two pages. The domain
sheets are found in the authorization matrix (a GET route whose endpoint or path says print/sheet)
and printed as the first role allowed to open them; a document whose sheet is not on main yet is
skipped with the reason.
"""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from kernel.i18n import format_day_both, today_tokyo
from tests.a11y.survey import login_role
from tests.authz.matrix import ROLES, load_rows
from tests.browser.pdf import normalise_pdf_text, page_pdf_text

pytestmark = pytest.mark.browser

A4_POINTS = (595, 842)
SHEET = re.compile(r"(print|sheet)", re.I)
# The four documents that get attached to an internal approval, by the endpoint that prints them.
DOCUMENTS = {
    "case": re.compile(r"^casebook\.(cases?_)"),
    "casebook entry": re.compile(r"^casebook\.(casebook_|entry|entries)"),
    "procurement project": re.compile(r"^procurement\."),
    "award entry": re.compile(r"^awards\."),
}
MUNICIPALITY_ROLES = ("member", "tenant_admin")  # a sheet is printed for a municipality's approval
# What a document's sheet must say besides its title and headings (in Japanese).
EXPECTED = {
    "procurement project": ["貴団体の申告"],  # the municipality's own declaration (the provider declares 10)
}


def _pdf_pages(data: bytes) -> list[tuple[str, tuple[int, int]]]:
    reader = PdfReader(io.BytesIO(data))
    return [(normalise_pdf_text(p.extract_text() or ""),
             (round(float(p.mediabox.width)), round(float(p.mediabox.height)))) for p in reader.pages]


def _sheet_rows() -> dict[str, list]:  # type: ignore[type-arg]
    found: dict[str, list] = {name: [] for name in DOCUMENTS}  # type: ignore[type-arg]
    for row in load_rows():
        if row.method != "GET" or not (SHEET.search(row.endpoint.split(".")[-1]) or SHEET.search(row.path)):
            continue
        for name, pattern in DOCUMENTS.items():
            if pattern.search(row.endpoint):
                found[name].append(row)
                break
    return found


def test_base_sheet_prints_on_numbered_a4_pages(a11y_app, a11y_page, a11y_server) -> None:  # type: ignore[no-untyped-def]
    from flask import g, render_template_string
    from sqlalchemy import select

    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tenants.models import User

    with a11y_app.test_request_context("/sample-sheet"):
        bind_tenant("132055")
        g._login_user = db.session.scalar(select(User).where(User.email == "member@ome.example.jp"))
        html = render_template_string(
            '{% extends "print/sheet.html" %}{% block sheet_title %}業務改善事例 回覧用{% endblock %}'
            '{% block sheet_meta %}整理番号 A-1{% endblock %}'
            '{% block sheet %}{% for i in range(60) %}<p>第{{ i }}段落 窓口業務の電子化について検討した。</p>'
            '{% endfor %}<p>本文の終わり</p>{% endblock %}')
        db.session.remove()
    url = f"{a11y_server.url}/a11y-sample-sheet"
    a11y_page.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
    a11y_page.goto(url)
    assert a11y_page.locator("html").get_attribute("lang") == "ja"
    a11y_page.emulate_media(media="print")
    assert not a11y_page.get_by_role("link", name="戻る").is_visible()  # not on paper
    pages = _pdf_pages(a11y_page.pdf(format="A4", prefer_css_page_size=True))
    assert len(pages) >= 2
    text = "\n".join(t for t, _size in pages)
    assert all(size == A4_POINTS for _t, size in pages), [s for _t, s in pages]
    assert "青梅市" in pages[0][0] and "業務改善事例 回覧用" in pages[0][0] and "整理番号 A-1" in pages[0][0]
    wareki_and_seireki = format_day_both(today_tokyo(), "ja")
    assert re.search(r"令和\d+年\d+月\d+日（\d{4}年\d+月\d+日）", wareki_and_seireki)
    assert wareki_and_seireki in text.replace("\n", "")
    for number, (page_text, _size) in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in page_text, f"page {number} lacks its number"
    assert "本文の終わり" in text and "回覧・決裁" in text


@pytest.mark.parametrize("document", list(DOCUMENTS))
def test_domain_sheet_prints(document: str, a11y_page, a11y_targets) -> None:  # type: ignore[no-untyped-def]
    rows = _sheet_rows()[document]
    if not rows:
        pytest.skip(f"no printable sheet of a {document} on main yet (no print/sheet GET route of "
                    f"{DOCUMENTS[document].pattern} in tests/authz/*.yaml)")
    targets, problems = a11y_targets
    assert not problems, problems
    for row in rows:
        roles = [r for r in MUNICIPALITY_ROLES if row.expect.get(r) == 200] or \
                [r for r in ROLES if r != "anonymous" and row.expect.get(r) == 200]
        if not roles:
            continue
        role = roles[0]
        path = next(p for p, source in targets[role] if source.endswith(row.endpoint) and
                    p.split("?")[0].count("/") == row.path.count("/"))
        a11y_page.emulate_media(media="screen")  # the previous sheet left the page in print mode
        a11y_page.context.clear_cookies()
        login_role(a11y_page, role)
        a11y_page.goto(path)
        title = a11y_page.locator("h1").inner_text().strip()
        headings = [h.strip() for h in a11y_page.locator("main h2").all_inner_texts()]
        tenant = a11y_page.get_by_test_id("sheet-tenant").inner_text().strip()
        text, count = page_pdf_text(a11y_page, path)
        flat = re.sub(r"\s+", "", text)
        assert re.sub(r"\s+", "", title) in flat, f"{path}: the title {title!r} is not in the PDF"
        assert tenant and tenant in text, f"{path}: the municipality is not in the PDF"
        assert re.sub(r"\s+", "", format_day_both(today_tokyo(), "ja")) in flat, f"{path}: no 和暦/西暦 date"
        assert f"1 / {count}" in text and f"{count} / {count}" in text, f"{path}: no page numbers"
        # the own-declaration section belongs to a municipality's sheet; TMG's organiser gets the 決裁 sheet
        for expected in headings + (EXPECTED.get(document, []) if role in MUNICIPALITY_ROLES else []):
            assert re.sub(r"\s+", "", expected) in flat, f"{path}: {expected!r} is not in the PDF"
