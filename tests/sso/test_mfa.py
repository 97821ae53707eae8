"""MFA policy (issue 23, point 6): a municipality requires an acr value or an amr naming a second factor;
a login without it is refused, and the page says what the IdP must send."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Flask

from tests.sso.conftest import OME, Provider, configure, failures, sso_login, start_login


def test_amr_must_name_a_second_factor(app: Flask, idp_a: Provider) -> None:
    configure(app, OME, idp_a.url, require_mfa_amr=True)
    idp_a.set_user("pw-only", email="pw-only@ome.example.jp", amr=["pwd"])
    response = sso_login(app.test_client(), OME, "pw-only")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "多要素認証" in page and "amr" in page and "mfa" in page
    assert failures(app, OME)[-1]["reason"] == "mfa_required"
    idp_a.set_user("with-otp", email="with-otp@ome.example.jp", amr=["pwd", "otp"])
    assert sso_login(app.test_client(), OME, "with-otp").status_code == 302


def test_required_acr_is_requested_and_checked(app: Flask, idp_a: Provider) -> None:
    strong = "urn:example:loa:mfa"
    configure(app, OME, idp_a.url, required_acr=f"{strong}  urn:example:loa:hwk")
    assert parse_qs(urlsplit(start_login(app.test_client(), OME)).query)["acr_values"] == [
        f"{strong} urn:example:loa:hwk"]
    idp_a.set_user("weak", email="weak@ome.example.jp", acr="urn:example:loa:pwd")
    assert sso_login(app.test_client(), OME, "weak").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "mfa_required"
    idp_a.set_user("strong", email="strong@ome.example.jp", acr=strong)
    assert sso_login(app.test_client(), OME, "strong").status_code == 302


def test_without_a_policy_any_login_passes(app: Flask, idp_a: Provider) -> None:
    configure(app, OME, idp_a.url)
    idp_a.set_user("plain", email="plain@ome.example.jp")
    assert sso_login(app.test_client(), OME, "plain").status_code == 302
