"""Journeys of issue 17 point 7: (b) a member asks for approval → the DX lead sees it under "waiting for you"
and has the mail in the test SMTP sink → approves, after the confirmation → the author is told in the portal
and by mail; (c) a double-clicked 保存 (two clicks 40 ms apart), also with the button's disabling defeated,
creates one case."""
from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from devtools.demo import OME
from tests.browser.conftest import dev_login

pytestmark = pytest.mark.browser


def _mail(sink, to: str, text: str, timeout: float = 60.0) -> Any:  # type: ignore[no-untyped-def]
    """The first mail to ``to`` whose subject contains ``text``, waiting for it (other mails may come first)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in sink.mails if m.to == to and text in m.subject]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no mail to {to} about {text}: {[m.subject for m in sink.mails]}"
        try:
            sink.wait_for(len(sink.mails) + 1, timeout=1)
        except TimeoutError:
            pass


def _cases_titled(live_app, title: str) -> int:  # type: ignore[no-untyped-def]
    from casebook.models import Case
    from kernel.extensions import db
    from tenants.context import as_tenant

    with live_app.app_context(), as_tenant(OME):
        count = db.session.scalar(select(func.count()).select_from(Case).where(Case.title == title))
        db.session.remove()
    return int(count or 0)


def test_approval_waits_for_the_admin_and_the_author_hears_back(page, new_page, live_mail) -> None:  # type: ignore[no-untyped-def]
    title = "窓口予約のオンライン化（承認の旅）"
    member = page
    dev_login(member, "member")
    member.goto("/cases/new")
    member.get_by_label("タイトル").fill(title)
    member.get_by_label("概要").fill("窓口の待ち時間をなくすため、来庁予約をスマートフォンから受け付けた。")
    member.get_by_role("button", name="保存").click()
    member.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_url = member.url
    member.get_by_role("button", name="事例集への提出を申請").click()
    expect(member.get_by_test_id("release")).to_have_text("承認待ち")

    # The DX lead: the mail is in the sink, and the dashboard lists the case under "waiting for you".
    mail = _mail(live_mail, "admin@ome.example.jp", f"「{title}」が事例集への提出の承認を待っています")
    assert case_url.rsplit("/", 1)[1] in mail.body  # the link to the case, not its content
    admin = new_page()
    dev_login(admin, "tenant_admin")
    waiting = admin.get_by_test_id("waiting-casebook.approvals")
    expect(waiting).to_be_visible()
    waiting.get_by_role("link").click()
    admin.wait_for_url("**/cases?state=proposed")
    admin.get_by_role("link", name=title).click()
    assert admin.url == case_url

    # Approve: the portal asks first (what will happen, a way back), then sends the case.
    admin.get_by_role("button", name="都への提出を承認").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"「{title}」を東京都のキュレーターに提出しますか？")
    expect(admin.get_by_test_id("confirm-cancel")).to_have_attribute("href", re.compile(r"/cases/\d+$"))
    admin.get_by_test_id("confirm-button").click()
    expect(admin.get_by_test_id("submission")).to_have_text("都の審査待ち")

    # The author is told: in the portal (unread count, the list) and by mail.
    _mail(live_mail, "member@ome.example.jp", f"「{title}」が承認され、キュレーターに提出されました")
    member.goto("/")
    expect(member.get_by_test_id("unread-count")).to_be_visible()
    member.get_by_test_id("notifications-link").click()
    note = member.get_by_role("link", name=re.compile(f"「{re.escape(title)}」が承認され"))
    expect(note).to_be_visible()
    note.click()
    member.wait_for_url(case_url)


@pytest.mark.parametrize("defeat_disabling", [False, True], ids=["double-click", "disabling-defeated"])
def test_double_clicked_save_creates_one_case(page, live_app, defeat_disabling: bool) -> None:  # type: ignore[no-untyped-def]
    title = f"二度押しの保存（{'無効化を外して' if defeat_disabling else 'ダブルクリック'}）"
    dev_login(page, "member")
    page.goto("/cases/new")
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("概要").fill("保存ボタンを40ミリ秒あけて二回押す。")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/cases/new") else None)
    # Two clicks 40 ms apart from inside the page (a person's double click); "defeated": the second click
    # first re-enables the button that submit_once.js disabled, as a script or an old browser would.
    page.evaluate("""([defeat]) => {
        const button = [...document.querySelectorAll('main form button')].find(b => b.textContent.trim() === '保存');
        button.click();
        setTimeout(() => { if (defeat) { button.disabled = false; } button.click(); }, 40);
    }""", [defeat_disabling])
    try:
        page.wait_for_url(re.compile(r".*/cases/\d+$"))
    except PlaywrightError:  # the second click aborted the first navigation: wait for the second one's
        page.wait_for_url(re.compile(r".*/cases/\d+$"))
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == title
    assert len(posts) == (2 if defeat_disabling else 1)  # defeated: the server really got the form twice
    assert _cases_titled(live_app, title) == 1
