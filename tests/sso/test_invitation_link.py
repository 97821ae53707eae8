"""An invited account is linked at the person's first SSO login (issue 17.5) — only when the provider
verified the e-mail address, or the operators verified its domain for the municipality (the tenant's
policy); an identity with a self-asserted address never takes over the invited account."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.invitations import invite_user
from tenants.models import User
from tests.conftest import ROLE_ACCOUNTS
from tests.sso.conftest import OME, Provider, configure, failures, sso_login


def _invite(app: Flask, email: str) -> None:
    with app.app_context():
        tenant, admin_email = ROLE_ACCOUNTS["tenant_admin"]
        bind_tenant(tenant)
        admin = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == admin_email))
        bind_tenant(tenant, admin.id)
        with app.test_request_context("/admin/users/invite"):
            invite_user(admin, email, "招待 花子", {"member"}, "ja")
        db.session.commit()
        bind_tenant(None)
        db.session.remove()


def _identity(app: Flask, email: str) -> tuple[object, object]:
    with app.app_context():
        bind_tenant(OME)
        user = db.session.scalar(select(User).where(User.tenant_id == OME, User.email == email))
        result = (user.issuer, user.subject)
        db.session.remove()
    return result


def test_invited_account_is_linked_when_the_provider_verified_the_address(app, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    configure(app, OME, idp_a.url)
    email = "invited@ome.example.jp"
    _invite(app, email)
    assert _identity(app, email) == (idp_a.url, None)
    # A self-asserted address (no email_verified) does not take the invited account over …
    idp_a.set_user("impostor", email=email)
    assert sso_login(app.test_client(), OME, "impostor").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "link_not_allowed"
    assert _identity(app, email) == (idp_a.url, None)
    # … the person whose address the provider verified is linked at their first login.
    idp_a.set_user("hanako-sub", email=email, email_verified=True, name="招待 花子")
    assert sso_login(app.test_client(), OME, "hanako-sub").status_code == 302
    assert _identity(app, email) == (idp_a.url, "hanako-sub")
    with app.app_context():
        bind_tenant(OME)
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.sso_link")
                                   .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.after["via"] == "pre-provisioned"
        db.session.remove()


def test_a_domain_the_operators_verified_links_without_email_verified(app, idp_a: Provider) -> None:  # type: ignore[no-untyped-def]
    """Entra ID sends no email_verified: the tenant's policy (a domain verified by the operators) decides."""
    configure(app, OME, idp_a.url, verified_domains=["ome.example.jp"])
    email = "entra.user@ome.example.jp"
    _invite(app, email)
    idp_a.set_user("entra-sub", email=email)
    assert sso_login(app.test_client(), OME, "entra-sub").status_code == 302
    assert _identity(app, email) == (idp_a.url, "entra-sub")
