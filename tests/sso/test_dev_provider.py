"""`make run`'s local provider: the demo tenants are pointed at it and its demo accounts log in."""
from __future__ import annotations

from sqlalchemy import select

from devtools.sso_provider import demo_accounts
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tenants.sso.services import ProviderSettings, save_provider
from tests.sso.conftest import KOTO, OME, sso_login, start_provider


def test_demo_accounts_link_and_newcomers_are_provisioned(app) -> None:  # type: ignore[no-untyped-def]
    import oidc_provider_mock

    from devtools.sso_provider import DOMAINS, MAPPING
    from tenants.context import as_tenant

    provider = start_provider(user_claims=[oidc_provider_mock.User(sub=s, claims=c) for s, c in demo_accounts()])
    try:
        with app.app_context():
            for code in (OME, KOTO):
                # As devtools.sso_provider.configure_demo_tenants does: the demo domain counts as verified,
                # so the demo accounts (no TMG-only role) link by their e-mail address at first login.
                with as_tenant(code):
                    save_provider(code, ProviderSettings(issuer=provider.url, client_id=f"dev-{code}",
                                                         client_secret="dev", allowed_domains=[DOMAINS[code]],
                                                         role_mapping=MAPPING, verified_domains=[DOMAINS[code]]),
                                  by_operator=True)
                    db.session.flush()
            db.session.commit()
            db.session.remove()
        # The demo admin of 青梅市 (created by the demo data, no identity yet) is linked at first login.
        response = sso_login(app.test_client(), OME, "132055-admin")
        from tests.sso.conftest import failures
        assert response.status_code == 302, failures(app, OME)
        # A newcomer of 江東区 in the tenant-admins group is provisioned as an administrator.
        assert sso_login(app.test_client(), KOTO, "131083-dx-lead").status_code == 302
        # An account of 江東区 cannot be provisioned into 青梅市 through the shared provider (domain).
        assert sso_login(app.test_client(), OME, "131083-member").status_code == 400
        with app.app_context():
            bind_tenant(OME)
            admin = db.session.scalar(select(User).where(User.email == "admin@ome.example.jp"))
            assert admin is not None and admin.issuer == provider.url and admin.subject == "132055-admin"
            assert db.session.scalar(select(User).where(User.email == "member@koto.example.jp")) is None
            bind_tenant(KOTO)
            lead = db.session.scalar(select(User).where(User.email == "dx-lead@koto.example.jp"))
            assert lead is not None and lead.roles == {"member", "tenant_admin"}
            db.session.remove()
    finally:
        provider.stop()


def test_start_local_provider_configures_the_demo_tenants(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The hook devtools/devserver.py calls: provider on a free port, demo tenants configured."""
    import socket

    import requests

    from devtools import sso_provider

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SSO_DEV_PROVIDER_PORT", str(port))
    configured: list[str] = []
    monkeypatch.setattr(sso_provider, "configure_demo_tenants",
                        lambda issuer: configured.extend(sso_provider.DOMAINS) or list(sso_provider.DOMAINS))
    monkeypatch.setattr("portal.app.create_app", lambda: app)
    handle, lines = sso_provider.start_local_provider()
    try:
        document = requests.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=5).json()
        assert document["issuer"] == f"http://127.0.0.1:{port}"
        assert any("132055-member" in line for line in lines) and configured
    finally:
        handle.stop()
