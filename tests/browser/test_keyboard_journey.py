"""Journey, keyboard only: a member of 青梅市 logs in, skips to the content, opens the profile, gets a
form error (announced, tied to the field, in Japanese), creates and revokes an API token, switches to
English and logs out — with Tab, Shift+Tab, Enter and typing, never the mouse; the focus is visible
at every stop.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.a11y.survey import AXE, AXE_OPTIONS, FAILING_IMPACTS

pytestmark = pytest.mark.browser

FOCUS_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || '').trim().slice(0, 60),
    email: el.getAttribute('data-email'), href: el.getAttribute('href'),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== 'none',
    inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 && box.top < innerHeight,
  };
}
"""


def focused(page) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return page.evaluate(FOCUS_JS) or {}


def tab_to(page, matches, limit: int = 60, backwards: bool = False) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Press Tab until the focused element satisfies ``matches``; every stop must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        info = focused(page)
        if not info:
            continue
        assert info["outline"] or info["shadow"], f"focus not visible on {info}"
        assert info["inView"], f"focused element out of view: {info}"
        if matches(info):
            return info
    raise AssertionError("never reached the element with the keyboard")


def submit(page) -> None:  # type: ignore[no-untyped-def]
    """Press Enter on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_journey(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    # The skip link is the first stop, visible when focused, and moves to the main content.
    info = tab_to(page, lambda i: True, limit=1)
    assert info["href"] == "#main" and info["text"] == "本文へスキップ"
    tab_to(page, lambda i: i["email"] == "member@ome.example.jp")
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == "青梅市のダッシュボード"

    tab_to(page, lambda i: i["href"] == "#main", limit=1)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Back up to the header (Shift+Tab) and open the profile through the name link.
    tab_to(page, lambda i: (i["href"] or "").startswith("/profile"), backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile/")

    # An empty name: the error summary is announced and focused; the field is invalid and described.
    tab_to(page, lambda i: i["id"] == "name")
    submit(page)  # Enter in the text field submits the form
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert "トークンの名前を入力してください。" in summary.inner_text()
    field = page.locator("#name")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby") or ""
    error_text = " ".join(page.locator(f"#{i}").inner_text() for i in described.split())
    assert "エラー：" in error_text and "トークンの名前を入力してください。" in error_text
    violations = [v["id"] for v in AXE.run(page, options=AXE_OPTIONS).response["violations"]
                  if v["impact"] in FAILING_IMPACTS]
    assert not violations, violations
    # The summary's link leads to the field.
    tab_to(page, lambda i: i["href"] == "#name")
    page.keyboard.press("Enter")
    tab_to(page, lambda i: i["id"] == "name")
    page.keyboard.type("キーボード操作の確認")
    # A token carries the scopes ticked for it: tick the first with Space, then submit from the button.
    tab_to(page, lambda i: i["tag"] == "input" and i["id"].startswith("scopes"))
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_to(page, lambda i: i["tag"] == "button" and "トークンを作成" in i["text"])
    submit(page)
    expect(page.get_by_test_id("new-token")).to_be_visible()

    # Revoke it with the keyboard: the portal asks first (a page, no script), then the result is a status message.
    tab_to(page, lambda i: i["tag"] == "button" and i["text"].startswith("失効"))
    submit(page)
    expect(page.get_by_test_id("confirmation")).to_be_visible()
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "トークンを失効させる")
    submit(page)
    assert "トークンを失効させました。" in page.locator(".flashes[role=status]").inner_text()

    # Switch the language and log out, still with the keyboard.
    tab_to(page, lambda i: i["text"] == "English")
    submit(page)
    assert page.locator("html").get_attribute("lang") == "en"
    tab_to(page, lambda i: i["text"] == "Log out")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    assert page.locator("h1").inner_text() == "Log in to Yokoten"
