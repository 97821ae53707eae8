"""Journey (issue 17.5): 江東区's administrator invites a person → the invitation mail arrives in the SMTP
sink → deactivates them behind the confirmation page, then reactivates them → the audit log reads in words
and filters by the person's name."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import dev_login

pytestmark = pytest.mark.browser


def test_admin_invites_deactivates_reactivates_and_reads_the_audit_log(page, live_mail) -> None:  # type: ignore[no-untyped-def]
    dev_login(page, "other_admin")  # 江東 二郎, administrator of 江東区
    page.get_by_role("navigation", name="メインナビゲーション").get_by_role("link", name="管理").click()
    page.get_by_role("link", name="利用者と役割").click()
    page.get_by_test_id("invite").click()
    assert page.locator("h1").inner_text() == "利用者を招待"

    # A mistake first: an address already registered is refused beside its field, nothing written.
    page.get_by_label("メールアドレス").fill("member@koto.example.jp")
    page.get_by_label("氏名").fill("江東 一郎")
    page.get_by_role("button", name="招待する").click()
    assert "member@koto.example.jp はこの団体にすでに登録されています。" in page.locator(".field-error").inner_text()

    page.get_by_label("メールアドレス").fill("ojima.sakura@koto.example.jp")
    page.get_by_label("氏名").fill("大島 さくら")
    page.get_by_label("審査員").check()
    page.get_by_role("button", name="招待する").click()
    page.wait_for_url("**/admin/users/*")
    assert page.locator("h1").inner_text() == "大島 さくら"
    assert page.get_by_test_id("user-status").inner_text() == "招待済み（未ログイン）"

    mail = next(m for m in live_mail.wait_for(1, timeout=60) if m.to == "ojima.sakura@koto.example.jp")
    assert "江東区の江東 二郎さんから" in mail.body and "Yokoten" in mail.body

    # Deactivate: a confirmation page first (a plain form), then the status changes.
    page.get_by_test_id("deactivate").click()
    assert page.locator("h1").inner_text() == "このアカウントを無効にしますか？"
    page.get_by_test_id("confirm-active").click()
    page.wait_for_url("**/admin/users/*")
    assert page.get_by_test_id("user-status").inner_text() == "無効"
    page.get_by_test_id("reactivate").click()
    assert page.locator("h1").inner_text() == "このアカウントを再び有効にしますか？"
    page.get_by_test_id("confirm-active").click()
    page.wait_for_url("**/admin/users/*")
    assert page.get_by_test_id("user-status").inner_text() == "招待済み（未ログイン）"

    # The audit log, in words, filtered by the person's name (typed without the space): what was done to her.
    page.goto("/admin/audit")
    page.get_by_label("人（氏名またはメールアドレス）").fill("大島さくら")
    page.get_by_role("button", name="絞り込む").click()
    # The filtered page, not the unfiltered one still on screen: its address carries the filter.
    page.wait_for_url(re.compile(r"[?&]person="))
    rows = page.locator("table.audit-log tbody tr")
    expect(rows).to_have_count(3)  # newest first: reactivated, deactivated, invited
    texts = [rows.nth(i).inner_text() for i in range(3)]
    assert "アカウントを有効化" in texts[0] and "状態: 無効 → 有効" in texts[0]
    assert "アカウントを無効化" in texts[1] and "状態: 有効 → 無効" in texts[1]
    assert "利用者を招待" in texts[2] and "役割: 審査員、職員" in texts[2] and "メールの言語: 日本語" in texts[2]
    assert all("江東 二郎" in text and "大島 さくら" in text for text in texts)
    assert not any("user." in text for text in texts)
    assert rows.first.get_by_role("link", name="大島 さくら").get_attribute("href").startswith("/admin/users/")
    # Narrowed to one action by its label.
    page.get_by_label("操作").select_option(label="アカウントを無効化")
    page.get_by_role("button", name="絞り込む").click()
    expect(rows).to_have_count(1)
    assert "アカウントを無効化" in rows.first.inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("audit-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
