"""Own cases through the web pages: versions and 409, safe Markdown, bad input, attachments, isolation."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, text

from casebook.models import MARKDOWN_FIELDS, PLAIN_FIELDS, Case, CaseVersion
from kernel.extensions import db
from tests.authz.providers.casebook import PNG

FORM = {"title": "書かない窓口", "summary": "概要", "problem": "", "approach": "", "outcomes": "",
        "themes": "窓口改革、BPR",
        "tools": "RPA", "fiscal_year": "2024", "cost_jpy": "1,000,000", "department": "市民課", "stage": "pilot",
        "kpis": "待ち時間 | 120 | 60 | 分 | 2024-10-01", "vendors": "", "products": "", "ordinances": "",
        "lessons": "", "replication_conditions": "", "contact": "", "successor_contact": ""}


def _create(client, **fields) -> int:  # type: ignore[no-untyped-def]
    response = client.post("/cases/new", data={**FORM, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _count(app, sql: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        from tenants.context import bind_tenant

        bind_tenant("132055")
        value = int(db.session.execute(text(sql)).scalar() or 0)
        db.session.remove()
    return value


def test_create_edit_versions_and_diff(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    case_id = _create(client)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "書かない窓口" in page and "1,000,000円" in page and "令和6年度" in page and "待ち時間" in page
    response = client.post(f"/cases/{case_id}/edit", data={**FORM, "title": "書かない窓口（改）", "version": "1"})
    assert response.status_code == 302
    versions = client.get(f"/cases/{case_id}/versions?v=2").get_data(as_text=True)
    assert "<del>- 書かない窓口</del>" in versions and "<ins>+ 書かない窓口（改）</ins>" in versions


def test_stale_edit_answers_409_and_keeps_the_input(client, login_as, app) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    case_id = _create(client)
    first = client.post(f"/cases/{case_id}/edit", data={**FORM, "summary": "先に保存", "version": "1"})
    assert first.status_code == 302
    stale = client.post(f"/cases/{case_id}/edit", data={**FORM, "summary": "私の入力した文章", "version": "1"})
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "私の入力した文章" in body and 'data-testid="stale"' in body and "先に保存" in body
    assert re.search(r'name="version" type="hidden" value="2"', body)
    # Saving again with the version now shown goes through.
    assert client.post(f"/cases/{case_id}/edit", data={**FORM, "summary": "私の入力した文章",
                                                       "version": "2"}).status_code == 302


XSS = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '[click](javascript:alert(1))',
       '"><svg onload=alert(1)>', "<a href='javascript:alert(1)'>x</a>", '<iframe src="//evil"></iframe>']


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_in_every_field_are_inert(client, login_as, payload) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    fields = {name: f"x {payload} y" for name in MARKDOWN_FIELDS + PLAIN_FIELDS}
    fields.update({"themes": payload, "tools": payload, "vendors": payload, "products": payload,
                   "ordinances": payload, "kpis": f"{payload} | 1 | 2 | {payload} |"})
    case_id = _create(client, **fields)
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/print", f"/cases/{case_id}/edit",
                 f"/cases/{case_id}/versions?v=1", "/cases", f"/cases?q={payload}"):
        body = client.get(path).get_data(as_text=True)
        assert _live_markup(body) == [], path


class _Scanner(HTMLParser):
    """Collects markup that would run: script/iframe/svg elements, on* handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        own_script = tag == "script" and (dict(attrs).get("src") or "").startswith("/static/js/")
        if tag in ("script", "iframe", "svg", "object", "embed") and not own_script:  # the layout's own files
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def _live_markup(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.found


def test_bad_input_is_400_with_japanese_messages_and_writes_nothing(client, login_as, app) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    before = _count(app, "SELECT count(*) FROM cases")
    for bad in ({"title": ""}, {"fiscal_year": "二〇二四"}, {"cost_jpy": "-5"}, {"stage": "done"},
                {"kpis": "壊れた行"}, {"kpis": "指標 | 1 | 2 | 分 | 2024-13-45"}, {"title": "長" * 201},
                {"fiscal_year": "99999999999999999999"}):
        response = client.post("/cases/new", data={**FORM, **bad})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, bad
        assert 'role="alert"' in body and "aria-invalid" in body
        assert re.search(r"(入力|指定)してください", body), bad
    assert _count(app, "SELECT count(*) FROM cases") == before
    missing_version = client.post("/cases/1/edit", data=FORM)
    assert missing_version.status_code in (400, 404)


def test_attachments_are_sniffed_limited_and_downloaded_safely(client, login_as, app) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    case_id = _create(client)
    fake = client.post(f"/cases/{case_id}/attachments",
                       data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "report.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 400 and "ファイルの中身" in fake.get_data(as_text=True)
    ok = client.post(f"/cases/{case_id}/attachments",
                     data={"file": (io.BytesIO(PNG), '資料"; x=1.png')}, content_type="multipart/form-data")
    assert ok.status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    attachment_id = int(re.search(rf"/cases/{case_id}/attachments/(\d+)\"", page).group(1))  # type: ignore[union-attr]
    download = client.get(f"/cases/{case_id}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert '"; x=1' not in disposition.split("filename*=")[0]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    app.config["MAX_UPLOAD_MB"] = 0
    try:
        too_big = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(PNG), "a.png")},
                              content_type="multipart/form-data")
        assert too_big.status_code == 400 and "大きすぎます" in too_big.get_data(as_text=True)
    finally:
        app.config["MAX_UPLOAD_MB"] = 20
    # Another municipality sees neither the case nor the file.
    client.post("/logout")
    login_as("other_member")
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{case_id}/attachments/{attachment_id}").status_code == 404


def test_attachments_live_under_the_case_rls(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        from tenants.context import bind_tenant

        bind_tenant("131083")
        assert db.session.scalar(select(func.count()).select_from(Case).where(Case.tenant_id == "132055")) == 0
        assert db.session.scalar(select(func.count()).select_from(CaseVersion)
                                 .where(CaseVersion.tenant_id == "132055")) == 0
        db.session.remove()


def test_case_pages_run_a_fixed_number_of_statements(client, login_as, count_queries) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    case_id = _create(client)
    for path in (f"/cases/{case_id}", "/cases", "/cases?q=窓口", "/casebook", "/casebook?q=窓口 申請",
                 "/casebook?theme=BPR&sort=newest"):
        client.get(path)
        with count_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        assert len(statements) <= 12, (path, len(statements), statements)


def test_odd_urls_and_english_pages(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    case_id = _create(client)
    huge = "9" * 25
    for path in (f"/cases/{huge}", f"/cases/{case_id}/versions?v={huge}", f"/cases/{case_id}/attachments/{huge}",
                 f"/casebook/{huge}", f"/api/v1/cases/{huge}", f"/cases?page={huge}", "/cases?page=x&q=%27"):
        assert client.get(path).status_code in (200, 404), path
    assert client.post("/lang", data={"lang": "en", "next": "/casebook"}).status_code == 302
    page = client.get("/casebook").get_data(as_text=True)
    assert "Search the casebook" in page and "Narrow down" in page
    assert "Propose for the casebook" in client.get(f"/cases/{case_id}").get_data(as_text=True)
