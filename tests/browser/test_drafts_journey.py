"""Journey 17.7(a): a member's session ends while writing a case → presses 保存 → logs in again → the text
is back → saves → one case. And the idle warning: the dialog appears before the limit and its button
keeps the session (the timings come from the configuration, the test waits for conditions)."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.browser.conftest import dev_login
from tests.conftest import ROLE_ACCOUNTS

pytestmark = pytest.mark.browser


def _member_sessions(live_app, **values) -> list[datetime]:  # type: ignore[no-untyped-def]
    """Change (when values are given) and read the member's server-side sessions' last activity."""
    from kernel.extensions import db
    from tenants.context import as_tenant
    from tenants.models import AuthSession, User

    tenant, email = ROLE_ACCOUNTS["member"]
    with live_app.app_context():
        with as_tenant(tenant):
            user_id = db.session.scalar(select(User.id).where(User.tenant_id == tenant, User.email == email))
            mine = (AuthSession.tenant_id == tenant) & (AuthSession.user_id == user_id) & AuthSession.ended_at.is_(None)
            if values:
                db.session.execute(update(AuthSession).where(mine).values(**values))
            seen = list(db.session.scalars(select(AuthSession.last_seen_at).where(mine)))
        db.session.commit()
        db.session.remove()
    return seen


def _cases_titled(live_app, title: str) -> int:  # type: ignore[no-untyped-def]
    from casebook.models import Case
    from kernel.extensions import db
    from tenants.context import as_tenant

    tenant, _email = ROLE_ACCOUNTS["member"]
    with live_app.app_context():
        with as_tenant(tenant):
            count = db.session.scalar(select(func.count()).select_from(Case).where(Case.title == title))
        db.session.remove()
    return int(count or 0)


def test_session_ends_mid_form_and_the_text_comes_back_after_login(page, live_app) -> None:  # type: ignore[no-untyped-def]
    title = f"窓口予約のオンライン化 {uuid.uuid4().hex[:6]}"
    dev_login(page, "member")
    page.goto("/cases/new")
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("概要").fill("来庁予約をオンラインで受け付け、待ち時間を半分にした。")
    page.get_by_label("課題", exact=True).fill("繁忙期は窓口に長い列ができていた。")
    page.get_by_label("年度").fill("2025")
    # the draft is kept on the server while typing
    page.locator("[data-draft-status]").filter(has_text="下書きを保存しました").wait_for()

    # the session ends on the server (31 minutes without a request), and the member presses 保存
    _member_sessions(live_app, last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r".*/login\?next=.*cases.*new"))
    assert "入力した内容は保管されています" in page.get_by_test_id("login-reason").inner_text()
    assert _cases_titled(live_app, title) == 0  # nothing was executed

    # logging in again leads back to the form, with the text in it and a message saying so
    _tenant, email = ROLE_ACCOUNTS["member"]
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url(re.compile(r".*/cases/new$"))
    assert page.get_by_label("タイトル").input_value() == title
    assert page.get_by_label("課題", exact=True).input_value() == "繁忙期は窓口に長い列ができていた。"
    assert "送信した内容を復元しました" in page.locator(".flashes").inner_text()

    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert page.locator("h1").inner_text() == title
    assert _cases_titled(live_app, title) == 1
    # the draft went with the successful save: the form is offered empty again
    page.goto("/cases/new")
    assert page.get_by_test_id("draft-offer").count() == 0


def test_idle_warning_appears_and_its_button_keeps_the_session(page, live_app) -> None:  # type: ignore[no-untyped-def]
    # Warn almost at once: with the idle limit in minutes, a warning window 2 s short of it shows the
    # dialog about 2 s after the page loads.
    idle = int(live_app.config["SESSION_IDLE_MINUTES"]) * 60
    previous = live_app.config["SESSION_WARN_SECONDS"]
    live_app.config["SESSION_WARN_SECONDS"] = idle - 2
    try:
        dev_login(page, "member")
        page.goto("/cases")
        _member_sessions(live_app, last_seen_at=datetime.now(UTC) - timedelta(minutes=5))
        page.reload()  # the page's timer reads what is left (the reload itself touches the session)
        dialog = page.get_by_role("alertdialog", name="まもなくログインの有効期限が切れます")
        dialog.wait_for(state="visible", timeout=20000)
        before = max(_member_sessions(live_app))  # asking how long is left (the dialog's check) touched nothing
        extend = dialog.get_by_role("button", name="ログインを延長する")
        assert extend.evaluate("element => element === document.activeElement")  # focus moved to the button
        page.keyboard.press("Enter")  # keyboard only
        dialog.wait_for(state="hidden")
        assert max(_member_sessions(live_app)) > before  # the server-side session was touched
        assert page.url.endswith("/cases")  # stayed on the page (no reload lost anything)
        # Escape closes the dialog when it comes again
        dialog.wait_for(state="visible", timeout=20000)
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
    finally:
        live_app.config["SESSION_WARN_SECONDS"] = previous
