"""Which existing account an SSO login may take over (issue 15, point 4), and where roles come from.

The attack of the review: TMG's tenant admin points TMG's SSO at an IdP they control; the first
login with the address of an operator account not yet linked took that account over. An existing
account is linked only when an administrator pre-provisioned it for that very issuer, or when its
domain is verified for the tenant by the operators, the IdP verified the address and the account
holds no TMG-only role.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Flask
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import as_tenant, bind_tenant
from tenants.models import TMG_CODE, User
from tenants.services import NewUser, create_user
from tenants.sso.models import SsoProvider
from tenants.sso.services import expect_identity
from tests.sso.conftest import OME, Provider, configure, failures, sso_login

TMG_DOMAIN = "metro.tokyo.example.jp"


def _account(app: Flask, tenant: str, email: str) -> dict[str, Any]:
    with app.app_context():
        bind_tenant(tenant)
        user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
        assert user is not None
        result = {"id": user.id, "issuer": user.issuer, "subject": user.subject, "roles": sorted(user.roles)}
        db.session.remove()
    return result


def _me(client) -> Optional[str]:  # type: ignore[no-untyped-def]
    page = client.get("/profile/")
    return None if page.status_code != 200 else page.get_data(as_text=True)


def _expect(app: Flask, tenant: str, email: str, by_operator: bool = True) -> None:
    with app.app_context(), as_tenant(tenant):
        expect_identity(tenant, email, by_operator=by_operator)
        db.session.commit()
        db.session.remove()


def test_tenant_idp_cannot_take_over_a_tmg_operator_account(app, client, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    """Even with TMG's domain verified and the address verified by the IdP: an operator account links
    only when the operators pre-provisioned it for this issuer."""
    configure(app, TMG_CODE, idp_a.url, allowed_domains=[TMG_DOMAIN], verified_domains=[TMG_DOMAIN])
    email = f"operator@{TMG_DOMAIN}"
    idp_a.set_user("evil-op", email=email, email_verified=True)
    response = sso_login(client, TMG_CODE, "evil-op")
    assert response.status_code == 400
    assert "事前" in response.get_data(as_text=True) or "準備" in response.get_data(as_text=True)
    assert failures(app, TMG_CODE)[-1]["reason"] == "link_not_allowed"
    assert _account(app, TMG_CODE, email)["subject"] is None  # nothing linked
    assert client.get("/api/v1/me").status_code == 401  # and nobody is logged in
    # The operators pre-provision the account for this issuer: now its first login links it.
    _expect(app, TMG_CODE, email)
    assert sso_login(app.test_client(), TMG_CODE, "evil-op").status_code == 302
    linked = _account(app, TMG_CODE, email)
    assert (linked["issuer"], linked["subject"], linked["roles"]) == (idp_a.url, "evil-op", ["operator"])


def test_pre_provisioned_for_another_issuer_is_refused(app, idp_a: Provider, idp_b: Provider) -> None:  # type: ignore[no-untyped-def]
    email = "member@ome.example.jp"
    configure(app, OME, idp_b.url)
    _expect(app, OME, email)  # prepared for provider B …
    configure(app, OME, idp_a.url)  # … then the settings point at provider A
    idp_a.set_user("m-a", email=email, email_verified=True)
    assert sso_login(app.test_client(), OME, "m-a").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "account_conflict"
    assert _account(app, OME, email)["subject"] is None


def test_verified_domain_links_a_member_account(app, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    email = "member@ome.example.jp"
    configure(app, OME, idp_a.url, verified_domains=["ome.example.jp"])
    idp_a.set_user("hanako", email=email, email_verified=True)
    client = app.test_client()
    assert sso_login(client, OME, "hanako").status_code == 302
    assert _account(app, OME, email)["subject"] == "hanako"
    assert "青梅 花子" in (_me(client) or "")
    with app.app_context():
        bind_tenant(OME)
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.sso_link")).all()[-1]
        assert entry.after["via"] == "verified-domain"
        db.session.remove()


def test_unverified_domain_or_address_does_not_link(app, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    email = "member@ome.example.jp"
    # The tenant's allowed domains alone (set by its own admin) are not a verification.
    configure(app, OME, idp_a.url, allowed_domains=["ome.example.jp"])
    idp_a.set_user("u1", email=email, email_verified=True)
    assert sso_login(app.test_client(), OME, "u1").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "link_not_allowed"
    # A verified domain, but the IdP does not say the address is verified.
    configure(app, OME, idp_a.url, verified_domains=["ome.example.jp"])
    idp_a.set_user("u2", email=email)
    assert sso_login(app.test_client(), OME, "u2").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "link_not_allowed"
    assert _account(app, OME, email)["subject"] is None


def test_tmg_only_role_is_never_linked_by_domain(app, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    configure(app, TMG_CODE, idp_a.url, verified_domains=[TMG_DOMAIN])
    curator = f"curator@{TMG_DOMAIN}"
    judge = f"judge@{TMG_DOMAIN}"
    idp_a.set_user("c", email=curator, email_verified=True)
    idp_a.set_user("j", email=judge, email_verified=True)
    assert sso_login(app.test_client(), TMG_CODE, "c").status_code == 400
    assert _account(app, TMG_CODE, curator)["subject"] is None
    assert sso_login(app.test_client(), TMG_CODE, "j").status_code == 302  # judge is not TMG-only
    assert _account(app, TMG_CODE, judge)["subject"] == "j"


def test_tenant_admin_cannot_pre_provision_a_tmg_only_account(app) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from tenants.services import ServiceError

    configure(app, TMG_CODE, "https://idp.metro.tokyo.example.jp/")
    with app.app_context(), as_tenant(TMG_CODE):
        with pytest.raises(ServiceError, match="運用担当者|operators"):
            expect_identity(TMG_CODE, f"operator@{TMG_DOMAIN}", by_operator=False)
        expect_identity(TMG_CODE, f"judge@{TMG_DOMAIN}", by_operator=False)
        db.session.rollback()
        db.session.remove()


def test_tmg_only_roles_never_come_from_the_tenants_own_mapping(app, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    """Only the operators' mapping, for the issuer it was set for, grants curator or operator."""
    configure(app, TMG_CODE, idp_a.url, role_mapping={"curators": ["curator"], "judges": ["judge"]})
    with app.app_context():
        bind_tenant(TMG_CODE)
        row = db.session.get(SsoProvider, TMG_CODE)
        assert row.role_mapping == {"judges": ["judge"]}
        assert row.operator_role_mapping == {"issuer": idp_a.url, "mapping": {"curators": ["curator"]}}
        row.role_mapping = {"curators": ["curator", "operator"], "judges": ["judge"]}  # as if stored by a tenant
        row.operator_role_mapping = {}
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    idp_a.set_user("new-c", email=f"new-c@{TMG_DOMAIN}", groups=["curators"])
    assert sso_login(app.test_client(), TMG_CODE, "new-c").status_code == 302
    assert _account(app, TMG_CODE, f"new-c@{TMG_DOMAIN}")["roles"] == ["member"]
    # Set by the operators for this issuer: it applies …
    configure(app, TMG_CODE, idp_a.url, role_mapping={"curators": ["curator"]})
    idp_a.set_user("new-d", email=f"new-d@{TMG_DOMAIN}", groups=["curators"])
    assert sso_login(app.test_client(), TMG_CODE, "new-d").status_code == 302
    assert _account(app, TMG_CODE, f"new-d@{TMG_DOMAIN}")["roles"] == ["curator"]
    # … but not once the issuer changed (the new IdP's groups were never vetted by the operators).
    with app.app_context():
        bind_tenant(TMG_CODE)
        row = db.session.get(SsoProvider, TMG_CODE)
        row.operator_role_mapping = {"issuer": "https://old-idp.example.jp", "mapping": {"curators": ["curator"]}}
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    idp_a.set_user("new-e", email=f"new-e@{TMG_DOMAIN}", groups=["curators"])
    assert sso_login(app.test_client(), TMG_CODE, "new-e").status_code == 302
    assert _account(app, TMG_CODE, f"new-e@{TMG_DOMAIN}")["roles"] == ["member"]


def test_tenant_form_cannot_delete_the_operators_mapping(app, client, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import login

    configure(app, TMG_CODE, idp_a.url, role_mapping={"curators": ["curator"], "ops": ["operator"],
                                                       "judges": ["judge"]})
    with app.app_context():
        with as_tenant(TMG_CODE):
            create_user(NewUser(TMG_CODE, f"admin@{TMG_DOMAIN}", "都 管理者", ("member", "tenant_admin")))
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    login(client, f"{TMG_CODE}:admin@{TMG_DOMAIN}")
    page = client.get("/admin/sso").get_data(as_text=True)
    assert 'data-testid="operator-mapping"' in page and "curators = curator" in page
    form = {"issuer": idp_a.url, "client_id": "x", "scopes": "openid email profile", "email_claim": "email",
            "name_claim": "name", "groups_claim": "groups", "allowed_domains": "", "role_mapping": "",
            "is_enabled": "y"}
    assert client.post("/admin/sso", data=form).status_code == 302
    with app.app_context():
        bind_tenant(TMG_CODE)
        row = db.session.get(SsoProvider, TMG_CODE)
        assert row.role_mapping == {}
        assert row.operator_role_mapping["mapping"] == {"curators": ["curator"], "ops": ["operator"]}
        db.session.remove()
    # The tenant admin cannot write a TMG-only role into its own mapping either.
    response = client.post("/admin/sso", data={**form, "role_mapping": "mine = curator"})
    assert response.status_code == 400
