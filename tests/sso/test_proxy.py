"""Behind a reverse proxy (issue 23, point 7): PORTAL_BASE_URL for the absolute URLs the IdP sees, the
client address from a trusted proxy only, rate limits per municipality and client address."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from kernel.extensions import db
from tests.conftest import BASE_CONFIG
from tests.sso.conftest import OME, Provider, configure, start_login


def test_callback_and_logout_urls_use_portal_base_url(app: Flask, client, login_as, idp_a: Provider,  # type: ignore[no-untyped-def]
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    configure(app, OME, idp_a.url)
    monkeypatch.setitem(app.config, "PORTAL_BASE_URL", "https://yokoten.metro.tokyo.lg.jp/")
    target = start_login(app.test_client(), OME)
    redirect_uri = parse_qs(urlsplit(target).query)["redirect_uri"][0]
    assert redirect_uri == f"https://yokoten.metro.tokyo.lg.jp/login/{OME}/callback"
    page = login_as("tenant_admin").get("/admin/sso").get_data(as_text=True)
    assert f"https://yokoten.metro.tokyo.lg.jp/login/{OME}/callback" in page
    assert "https://yokoten.metro.tokyo.lg.jp/login<" in page  # the post-logout redirect URI
    monkeypatch.setitem(app.config, "PORTAL_BASE_URL", "")
    target = start_login(app.test_client(), OME)
    assert parse_qs(urlsplit(target).query)["redirect_uri"][0] == f"http://localhost/login/{OME}/callback"


@contextmanager
def _app(cluster, **config) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    from kernel.extensions import limiter
    from portal.app import create_app

    application = create_app({**BASE_CONFIG, **cluster.urls("unit"), **config})
    try:
        yield application
    finally:
        limiter.enabled = False
        with application.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.mark.parametrize("hops, expected", [(1, "https://yokoten.example/login/132055/callback"),
                                             (0, "http://localhost/login/132055/callback")])
def test_callback_url_follows_forwarded_headers_only_behind_trusted_proxies(cluster, hops: int,  # type: ignore[no-untyped-def]
                                                                             expected: str) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "yokoten.example"}
    with _app(cluster, TRUSTED_PROXY_HOPS=hops) as application:
        from werkzeug.test import EnvironBuilder

        environ = EnvironBuilder(path="/login/132055", headers=forwarded,
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
        seen: dict[str, str] = {}

        def start_response(status: str, headers: list) -> None:  # type: ignore[type-arg]
            seen["status"] = status

        @application.before_request
        def remember() -> None:
            from flask import request, url_for

            seen["remote_addr"] = request.remote_addr or ""
            seen["callback"] = url_for("sso.callback", code=OME, _external=True)

        b"".join(application.wsgi_app(environ, start_response))
        assert seen["callback"] == expected
        assert seen["remote_addr"] == ("203.0.113.5" if hops else "127.0.0.1")


def test_rate_limit_per_municipality_and_client_address(cluster) -> None:  # type: ignore[no-untyped-def]
    """One address into one municipality has its own bucket: a busy city hall does not lock out another
    municipality's staff behind the same proxy, nor its own staff at another address."""
    with _app(cluster, RATELIMIT_ENABLED=True, SSO_RATELIMIT_PER_ADDRESS="3/minute",
              SSO_RATELIMIT_PER_IP="100/minute", SSO_RATELIMIT_PER_TENANT="100/minute") as application:
        hall = {"REMOTE_ADDR": "198.51.100.20"}
        # Malformed codes answer 404 before touching the database (nothing written).
        statuses = [application.test_client().get("/login/13205x", environ_base=hall).status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        assert application.test_client().get("/login/13108x", environ_base=hall).status_code == 404
        elsewhere = {"REMOTE_ADDR": "198.51.100.21"}
        assert application.test_client().get("/login/13205x", environ_base=elsewhere).status_code == 404
