"""Real claim shapes (issue 23, point 5): dotted claim paths into nested objects (Keycloak), and Entra
ID's groups overage refused with a clear message instead of silently making a member."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tenants.sso.services import claim_value
from tests.sso.conftest import OME, Provider, configure, failures, sso_login


def test_claim_value_by_name_or_dotted_path() -> None:
    claims = {"realm_access": {"roles": ["a"]}, "resource_access": {"yokoten": {"roles": ["b"]}},
              "https://claims.example.jp/groups": ["c"], "plain": "x"}
    assert claim_value(claims, "realm_access.roles") == ["a"]
    assert claim_value(claims, "resource_access.yokoten.roles") == ["b"]
    assert claim_value(claims, "https://claims.example.jp/groups") == ["c"]  # a URI name with dots, found whole
    assert claim_value(claims, "plain") == "x"
    assert claim_value(claims, "realm_access.missing") is None and claim_value(claims, "plain.deeper") is None


def _roles(app: Flask, subject: str) -> list[str]:
    with app.app_context():
        bind_tenant(OME)
        user = db.session.scalar(select(User).where(User.subject == subject))
        roles = sorted(user.roles) if user else []
        db.session.remove()
    return roles


def test_keycloak_realm_roles_by_dotted_path(app: Flask, idp_a: Provider) -> None:
    configure(app, OME, idp_a.url, groups_claim="realm_access.roles",
              role_mapping={"yokoten-admin": ["member", "tenant_admin"]})
    idp_a.set_user("kc-admin", email="kc-admin@ome.example.jp",
                   realm_access={"roles": ["offline_access", "yokoten-admin"]})
    assert sso_login(app.test_client(), OME, "kc-admin").status_code == 302
    assert _roles(app, "kc-admin") == ["member", "tenant_admin"]


def test_entra_groups_overage_is_refused_with_a_clear_message(app: Flask, idp_a: Provider) -> None:
    overage = {"_claim_names": {"groups": "src1"},
               "_claim_sources": {"src1": {"endpoint": "https://graph.windows.net/x/users/y/getMemberObjects"}}}
    configure(app, OME, idp_a.url, role_mapping={"0f2c-admins": ["member", "tenant_admin"]})
    idp_a.set_user("many-groups", email="many@ome.example.jp", **overage)
    response = sso_login(app.test_client(), OME, "many-groups")
    assert response.status_code == 400 and "グループ超過" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "groups_overage"
    assert _roles(app, "many-groups") == []  # not provisioned as a plain member
    # A municipality that maps no group does not need them: the login goes through.
    configure(app, OME, idp_a.url)
    assert sso_login(app.test_client(), OME, "many-groups").status_code == 302
    assert _roles(app, "many-groups") == ["member"]


def test_admin_page_presets_fill_the_claim_names(app: Flask, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("tenant_admin")
    page = client.get("/admin/sso?preset=keycloak").get_data(as_text=True)
    assert 'value="realm_access.roles"' in page and "https://&lt;host&gt;/realms/&lt;realm&gt;" in page
    assert "まだ保存していません" in page
    page = client.get("/admin/sso?preset=entra").get_data(as_text=True)
    assert 'name="groups_claim" type="text" value="groups"' in page or 'value="groups"' in page
    assert "login.microsoftonline.com/&lt;tenant id&gt;/v2.0" in page
    assert "まだ保存していません" not in client.get("/admin/sso?preset=unknown").get_data(as_text=True)
