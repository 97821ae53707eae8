"""Journey (issue 23, point 3): 八王子市 moves from one identity provider to another in Chromium. Its
administrator saves the new provider as the candidate, tests it (the claims are shown, nobody is
logged in), runs the re-link dry run and confirms it, switches — and at the first login through the
new provider lands in the same account, still an administrator. Two oidc-provider-mock servers on
127.0.0.1; 八王子市 is used by no other journey (the live database is shared by the session)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kernel.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_sso_journey import _no_axe_violations
from tests.sso.conftest import Provider, start_provider

pytestmark = pytest.mark.browser

HACHIOJI = "132012"
ADMINS = {"dx-leads": ["member", "tenant_admin"]}


@pytest.fixture(scope="module")
def idps(live_app) -> Iterator[tuple[Provider, Provider]]:  # type: ignore[no-untyped-def]
    from tenants.context import as_tenant, bind_tenant
    from tenants.sso.services import ProviderSettings, save_provider

    old, new = start_provider(), start_provider()
    with live_app.app_context(), as_tenant(HACHIOJI):
        save_provider(HACHIOJI, ProviderSettings(issuer=old.url, client_id="yokoten-hachioji", client_secret="s3cret",
                                                 role_mapping=ADMINS), by_operator=True)
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    yield old, new
    old.stop()
    new.stop()


def _login_at(page, idp: Provider, sub: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/login/{HACHIOJI}?next=/admin/sso")
    page.wait_for_url(f"{idp.url}/oauth2/authorize?**", wait_until="commit")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_admin_switches_the_provider_and_keeps_the_accounts(page, idps) -> None:  # type: ignore[no-untyped-def]
    old, new = idps
    page.context.route("https://**/*", lambda route: route.abort())  # the mock's page links a CDN stylesheet
    old.set_user("hachi-admin-old", email="sato@hachioji.example.jp", email_verified=True, name="佐藤 花子",
                 groups=["dx-leads"])
    new.set_user("hachi-admin-new", email="sato@hachioji.example.jp", email_verified=True, name="佐藤 花子",
                 groups=["dx-leads"])
    _login_at(page, old, "hachi-admin-old")
    page.wait_for_url("**/admin/sso")

    # 1. The candidate provider.
    page.get_by_test_id("sso-change-link").click()
    assert page.locator("h1").inner_text() == "IdP の切り替え"
    form = page.locator("form.sso-form")
    form.locator('input[name="issuer"]').fill(new.url)
    form.locator('input[name="client_id"]').fill("yokoten-hachioji-new")
    form.locator('input[name="client_secret"]').fill("n3w-s3cret")
    form.get_by_role("button", name="候補を保存する").click()
    expect(page.get_by_test_id("candidate-issuer")).to_contain_text(new.url)
    expect(page.get_by_test_id("candidate-status")).to_contain_text("テストされていません")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sso-change.png"), full_page=True)
    _no_axe_violations(page)

    # 2. The test login: the claims are shown, nobody is logged in.
    page.get_by_test_id("candidate-test").click()
    page.wait_for_url(f"{new.url}/oauth2/authorize?**", wait_until="commit")
    page.locator('input[name="sub"]').fill("hachi-admin-new")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("誰もログインしておらず")
    expect(page.get_by_test_id("test-sub")).to_have_text("hachi-admin-new")
    expect(page.get_by_test_id("test-claims")).to_contain_text("sato@hachioji.example.jp")
    expect(page.locator("dd").filter(has_text="tenant_admin")).to_have_count(1)  # the mapping came along
    page.screenshot(path=str(ARTIFACTS / "sso-candidate-test.png"), full_page=True)
    _no_axe_violations(page)
    assert "佐藤 花子" in page.get_by_test_id("who").inner_text()  # still the administrator's own session

    # 3. The re-link plan: dry run, then confirm.
    page.goto("/admin/sso/relink")
    page.get_by_test_id("relink-dry-run").click()
    report = page.get_by_test_id("relink-report")
    expect(report.locator('tr[data-category="relink"]')).to_contain_text("sato@hachioji.example.jp")
    page.screenshot(path=str(ARTIFACTS / "sso-relink-dry-run.png"), full_page=True)
    _no_axe_violations(page)
    page.get_by_test_id("relink-confirm").click()
    expect(page.get_by_test_id("relink-plan-counts")).to_contain_text("初回ログイン待ち 1 件")

    # 4. The switch.
    page.goto("/admin/sso/change")
    page.get_by_test_id("candidate-switch").click()
    expect(page.get_by_test_id("active-issuer")).to_have_text(new.url)
    expect(page.get_by_test_id("previous-issuer")).to_have_text(old.url)

    # 5. The first login through the new provider lands in the same account, still an administrator.
    page.context.clear_cookies()
    _login_at(page, new, "hachi-admin-new")
    page.wait_for_url("**/admin/sso")
    assert page.locator("h1").inner_text() == "シングルサインオン（OpenID Connect）"
    assert "佐藤 花子" in page.get_by_test_id("who").inner_text()
