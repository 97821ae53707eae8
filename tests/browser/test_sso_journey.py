"""Journey: a member of 青梅市 finds the municipality by its kana reading, goes through the real
redirect dance of an OpenID provider (oidc-provider-mock on 127.0.0.1) in Chromium, lands on the
dashboard provisioned with the mapped role, and logs out through the provider's end_session_endpoint.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kernel.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.sso.conftest import OME, Provider, start_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_idp(live_app) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    from tenants.context import as_tenant, bind_tenant
    from tenants.sso.services import ProviderSettings, save_provider

    provider = start_provider()
    with live_app.app_context(), as_tenant(OME):
        save_provider(OME, ProviderSettings(issuer=provider.url, client_id="yokoten-ome", client_secret="s3cret",
                                            role_mapping={"dx-leads": ["member", "tenant_admin"]}), by_operator=True)
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    yield provider
    provider.stop()


def test_member_logs_in_through_the_municipality_provider_and_out_again(page, live_idp) -> None:  # type: ignore[no-untyped-def]
    page.context.route("https://**/*", lambda route: route.abort())  # the mock's page links a CDN stylesheet
    live_idp.set_user("ome-staff-001", email="tanaka@ome.example.jp", name="田中 一郎", groups=["dx-leads"])

    page.goto("/admin/users")
    assert "/login" in page.url
    picker = page.get_by_role("region", name="所属団体の認証基盤でログイン")
    picker.get_by_label("団体（名称・よみがな・団体コード）").fill("おうめ")
    municipalities = picker.get_by_role("list", name="シングルサインオンを利用できる団体")
    expect(municipalities.get_by_role("link").filter(visible=True)).to_have_count(1)  # filtered while typing
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sso-picker.png"), full_page=True)
    _no_axe_violations(page)
    municipalities.get_by_role("link", name="青梅市").click()

    page.wait_for_url(f"{live_idp.url}/oauth2/authorize?**", wait_until="commit")
    assert "code_challenge_method=S256" in page.url
    page.locator('input[name="sub"]').fill("ome-staff-001")
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url("**/admin/users")  # back on our side, on the page first asked for
    assert page.locator("h1").inner_text() == "利用者と役割"
    assert "田中 一郎" in page.get_by_test_id("who").inner_text()
    page.goto("/admin/sso")
    page.screenshot(path=str(ARTIFACTS / "sso-settings.png"), full_page=True)
    _no_axe_violations(page)

    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(f"{live_idp.url}/oauth2/end_session?**", wait_until="commit")  # via our forwarding page
    assert "id_token_hint=" in page.url
    page.get_by_role("button", name="End session").click()
    page.wait_for_url("**/login")
    assert page.get_by_test_id("sso-last").inner_text().strip() == "青梅市で続ける"
    page.goto("/admin/users")
    assert "/login" in page.url  # the portal session is over

    response = page.goto(f"/login/{OME}/callback?state=forged&code=x")  # a refused login: 400, in Japanese
    assert response is not None and response.status == 400
    assert page.locator("h1").inner_text() == "ログインできませんでした"
    _no_axe_violations(page)


def _no_axe_violations(page) -> None:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]]
    assert not violations, violations
