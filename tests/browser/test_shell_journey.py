"""Journey: a member of 青梅市 opens the portal, sees the dashboard in Japanese, switches to English, logs out."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, dev_login

pytestmark = pytest.mark.browser


def test_member_of_ome_dashboard_language_and_logout(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert "/login" in page.url  # anonymous → login page
    assert page.locator("h1").inner_text() == "横展開ポータルにログイン"
    dev_login(page, "member")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "青梅市のダッシュボード"
    assert "青梅市" in page.get_by_test_id("who").inner_text()
    nav = page.get_by_role("navigation", name="メインナビゲーション")
    for label in ("事例", "事例集", "共同調達", "アワード"):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-ja.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Dashboard of Ome"
    assert page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Casebook").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url  # the session is gone
