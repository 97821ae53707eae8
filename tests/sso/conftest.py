"""Real OpenID providers (oidc-provider-mock from PyPI, not written by us) on 127.0.0.1, and helpers
that walk the authorization-code dance with the Flask test client on our side and HTTP on theirs."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

import oidc_provider_mock
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from kernel.extensions import db
from tenants.sso import breaker
from tenants.sso.oidc import clear_caches
from tenants.sso.services import ProviderSettings, save_provider

OME, KOTO = "132055", "131083"


@dataclass
class Provider:
    url: str  # the issuer: http://127.0.0.1:<port>
    server: Any
    thread: threading.Thread

    def set_user(self, sub: str, **claims: Any) -> None:
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


def start_provider(**options: Any) -> Provider:
    """An oidc-provider-mock server on 127.0.0.1 (nonce required, like our client sends it)."""
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True, **options), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return Provider(f"http://127.0.0.1:{server.server_port}", server, thread)


@pytest.fixture(scope="session")
def idp_a() -> Iterator[Provider]:
    provider = start_provider()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def idp_b() -> Iterator[Provider]:
    provider = start_provider()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def idp_expired() -> Iterator[Provider]:
    """A provider whose ID tokens are already expired when issued (exp 10 minutes in the past)."""
    provider = start_provider(access_token_max_age=timedelta(minutes=-10))
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _fresh_oidc_caches() -> Iterator[None]:
    clear_caches()
    breaker.reset()
    yield
    clear_caches()
    breaker.reset()


def configure(app: Flask, tenant: str, issuer: str, **overrides: Any) -> None:
    """Save a tenant's provider settings inside the test's transaction, visible to its requests."""
    from tenants.context import as_tenant

    settings = ProviderSettings(issuer=issuer, client_id=overrides.pop("client_id", f"yokoten-{tenant}"),
                                client_secret=overrides.pop("client_secret", "s3cret"), **overrides)
    with app.app_context():
        with as_tenant(tenant):
            save_provider(tenant, settings, by_operator=True)
            db.session.commit()
        db.session.remove()


@pytest.fixture
def two_tenants(app: Flask, idp_a: Provider, idp_b: Provider) -> tuple[Provider, Provider]:
    """青梅市 logs in through provider A, 江東区 through provider B; group yokoten-admins → admin."""
    mapping = {"yokoten-admins": ["member", "tenant_admin"], "yokoten-judges": ["judge", "member"]}
    configure(app, OME, idp_a.url, role_mapping=mapping)
    configure(app, KOTO, idp_b.url, role_mapping=mapping)
    return idp_a, idp_b


@dataclass
class Dance:
    """One login: what our start page answered and what the provider sent back."""

    authorize_url: str
    callback_url: str  # path and query on our side

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.authorize_url).query).items()}


def start_login(client: FlaskClient, tenant: str, next_url: Optional[str] = None) -> str:
    """GET /login/<tenant>; returns the provider's authorization URL we redirect to."""
    response = client.get(f"/login/{tenant}", query_string={"next": next_url} if next_url else None)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return response.headers["Location"]


def authorize(authorize_url: str, sub: str, action: str = "authorize") -> str:
    """The person at the provider: submit the provider's own consent form as ``sub``; returns our callback."""
    data = {"sub": sub} if action == "authorize" else {"action": "deny"}
    response = requests.post(authorize_url, data=data, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def dance(client: FlaskClient, tenant: str, sub: str, next_url: Optional[str] = None) -> Dance:
    url = start_login(client, tenant, next_url)
    return Dance(url, authorize(url, sub))


def sso_login(client: FlaskClient, tenant: str, sub: str, next_url: Optional[str] = None) -> Any:
    """The whole dance; returns our callback's response."""
    return client.get(dance(client, tenant, sub, next_url).callback_url)


def failures(app: Flask, tenant: Optional[str]) -> list[dict]:
    """The reasons of the refused logins audited for a tenant (newest last)."""
    from sqlalchemy import select

    from kernel.audit import AuditEntry
    from tenants.context import bind_tenant

    with app.app_context():
        bind_tenant(tenant)
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.sso_failed")
                                  .order_by(AuditEntry.id)).all()
        result = [dict(r.after or {}) for r in rows]
        db.session.remove()
    return result


@pytest.fixture
def portal_key(app: Flask) -> Iterator[str]:
    """The portal's signing key (private_key_jwt), made as the operators do (owner role, committed:
    the application role may only read the table); deleted again afterwards. Returns its kid."""
    from sqlalchemy import delete

    from kernel.db_admin import owner_session
    from tenants.sso.keys import rotate_keys
    from tenants.sso.models import SsoSigningKey

    with app.app_context():
        with owner_session():
            db.session.execute(delete(SsoSigningKey))
            kid = rotate_keys(immediately=True).kid
        db.session.remove()
    try:
        yield kid
    finally:
        with app.app_context():
            with owner_session():
                db.session.execute(delete(SsoSigningKey))
            db.session.remove()
