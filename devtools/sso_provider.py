"""`make run`: a local OpenID provider on 127.0.0.1:8001 for the demo municipalities (development only).

The provider is oidc-provider-mock (a dev dependency from PyPI). Its consent page lists the demo
accounts below as buttons; any other subject can be typed in (its e-mail is then the subject).
The demo tenants are pointed at it, each with its own allowed e-mail domain, so an account of
青梅市 cannot be provisioned into 江東区 even though all share this one provider.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from devtools.demo import CHIYODA, DEMO_USERS, KOTO, OME
from tenants.models import TMG_CODE
from tenants.services import ServiceError

DEFAULT_PORT = 8001
DOMAINS = {OME: "ome.example.jp", KOTO: "koto.example.jp", CHIYODA: "chiyoda.example.jp",
           TMG_CODE: "metro.tokyo.example.jp"}
# Groups the demo provider sends, and the roles each demo tenant maps them to.
MAPPING = {"tenant-admins": ["member", "tenant_admin"], "judges": ["judge", "member"]}
TMG_MAPPING = {"curators": ["curator"], "judges": ["judge"], "operators": ["operator"]}
ROLE_GROUPS = {"tenant_admin": "tenant-admins", "judge": "judges", "curator": "curators", "operator": "operators"}
# Two people who have no account yet: their first SSO login provisions them.
NEWCOMERS = (
    (OME, "newcomer@ome.example.jp", "青梅 新人", ()),
    (KOTO, "dx-lead@koto.example.jp", "江東 DX リーダー", ("tenant-admins",)),
)


@dataclass
class LocalProvider:
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


class _Nothing:
    def stop(self) -> None:
        return None


def demo_accounts() -> list[tuple[str, dict[str, Any]]]:
    """(subject, claims) of every demo account at the local provider."""
    people: list[tuple[str, str, str, list[str]]] = [
        (u.tenant_code, u.email, u.display_name, sorted({ROLE_GROUPS[r] for r in u.roles if r in ROLE_GROUPS}))
        for u in DEMO_USERS]
    people += [(tenant, email, name, list(groups)) for tenant, email, name, groups in NEWCOMERS]
    return [(f"{tenant}-{email.split('@')[0]}", {"email": email, "email_verified": True, "name": name,
                                                  "groups": groups})
            for tenant, email, name, groups in people]


def configure_demo_tenants(issuer: str) -> list[str]:
    """Point the demo tenants at the local provider (not a tenant already configured elsewhere)."""
    from kernel.db_admin import owner_session
    from kernel.extensions import db
    from tenants.context import as_tenant
    from tenants.sso.services import TMG_ONLY_ROLES, ProviderSettings, expect_identity, get_provider, save_provider

    configured = []
    with owner_session():
        for code, domain in DOMAINS.items():
            with as_tenant(code):  # each municipality's provider under its own binding
                current = get_provider(code)
                if current is not None and not current.client_id.startswith("yokoten-dev-"):
                    continue  # configured for real by its administrators: leave it alone
                save_provider(code, ProviderSettings(
                    issuer=issuer, client_id=f"yokoten-dev-{code}", client_secret="dev-secret",
                    allowed_domains=[domain], role_mapping=TMG_MAPPING if code == TMG_CODE else MAPPING,
                    verified_domains=[domain]), by_operator=True)
                # Accounts with a TMG-only role never link by e-mail: the operator prepares them (as
                # `flask sso expect` does), so that the demo curator and operator can log in through SSO.
                for user in DEMO_USERS:
                    if user.tenant_code == code and set(user.roles) & TMG_ONLY_ROLES:
                        try:
                            expect_identity(code, user.email, by_operator=True)
                        except ServiceError:
                            pass  # already linked to an identity
                db.session.flush()  # written while this municipality is bound
            configured.append(code)
    return configured


def start_local_provider() -> tuple[Any, list[str]]:
    """Start the provider in a thread and configure the demo tenants; returns (handle, lines to print)."""
    if os.environ.get("PORTAL_ENV") == "production" or os.environ.get("SSO_DEV_PROVIDER", "1") == "0":
        return _Nothing(), []
    try:
        import oidc_provider_mock
        from werkzeug.serving import make_server
    except ModuleNotFoundError:
        return _Nothing(), ["SSO: oidc-provider-mock is not installed (pip install -e '.[dev]'); no local provider."]
    port = int(os.environ.get("SSO_DEV_PROVIDER_PORT", DEFAULT_PORT))
    users = [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in demo_accounts()]
    try:
        server = make_server("127.0.0.1", port, oidc_provider_mock.app(require_nonce=True, user_claims=users),
                             threaded=True)
    except OSError as error:
        return _Nothing(), [f"SSO: port {port} is busy ({error}); no local provider."]
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="sso-dev-provider")
    thread.start()
    issuer = f"http://127.0.0.1:{port}"
    from portal.app import create_app

    app = create_app()
    with app.app_context():
        codes = configure_demo_tenants(issuer)
    lines = [f"Local OpenID provider (SSO): {issuer}/ for {', '.join(codes)}",
             "  on the login page pick a municipality, then one of these accounts at the provider:"]
    lines += [f"    {sub:<28} {claims['email']}" for sub, claims in demo_accounts()]
    return LocalProvider(server, thread), lines
