"""The one outbound client (SSRF guards) and the circuit breaker, against real servers on loopback.

Loopback is a private address, so these tests exercise both sides of the allow-list: with an empty
``SSO_OUTBOUND_ALLOW`` the loopback server must never receive a connection; with 127.0.0.1 allowed
the same request goes through.
"""
from __future__ import annotations

import io
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from tenants.sso import breaker
from tenants.sso.oidc import ProviderMetadata, SsoError, discover, exchange_code
from tenants.sso.outbound import OutboundError, Policy, check_url, current_policy, get_json, parse_networks
from tests.sso.conftest import OME, Provider, configure, failures

Handler = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 that counts connections and answers with ``handler``."""

    def __init__(self, handler: Handler):
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                server.connections += 1
                super().setup()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                handler(self)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: Any) -> None:
                return None

        self.connections = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def _serve(handler: Handler) -> LoopbackServer:
        servers.append(LoopbackServer(handler))
        return servers[-1]

    yield _serve
    for server in servers:
        server.stop()


def _json(body: dict[str, Any], status: int = 200) -> Handler:
    def handler(request: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
    return handler


def _slow(interval: float, limit: int = 40) -> Handler:
    """One byte every ``interval`` seconds (at most ``limit`` bytes, so the server always ends)."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.end_headers()
        try:
            for _ in range(limit):
                request.wfile.write(b" ")
                request.wfile.flush()
                time.sleep(interval)
        except OSError:  # the client gave up: exactly what is expected
            return
    return handler


# The address rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("address, allowed", [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False),
    ("::ffff:127.0.0.1", False), ("fd00:ec2::254", False), ("fe80::1", False), ("224.0.0.1", False),
    ("168.63.129.16", False),  # Azure's wire server: public, but a metadata service
])
def test_only_public_addresses_by_default(address: str, allowed: bool) -> None:
    assert Policy(production=True).address_allowed(ipaddress.ip_address(address)) is allowed


def test_allow_list_opens_a_closed_network_but_never_metadata() -> None:
    policy = Policy(production=True, allowed=parse_networks("10.20.0.0/16, 192.168.5.10 169.254.0.0/16"))
    assert policy.address_allowed(ipaddress.ip_address("10.20.30.40"))
    assert policy.address_allowed(ipaddress.ip_address("192.168.5.10"))
    assert not policy.address_allowed(ipaddress.ip_address("192.168.5.11"))
    assert not policy.address_allowed(ipaddress.ip_address("169.254.169.254"))
    with pytest.raises(ValueError, match="not an address"):
        parse_networks("10.0.0.0/8, intranet")


@pytest.mark.parametrize("url", [
    "http://idp.example.jp/", "https://169.254.169.254/latest/meta-data", "https://10.0.0.1:8443/",
    "https://user:pw@idp.example.jp/", "file:///etc/passwd", "gopher://idp.example.jp/", "https:///nohost",
])
def test_production_refuses_before_connecting(url: str) -> None:
    with pytest.raises(OutboundError) as caught:
        check_url(url, Policy(production=True))
    assert caught.value.reason == "refused"


def test_allow_list_setting_comes_from_the_configuration(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        assert current_policy().allowed == parse_networks("127.0.0.0/8, ::1")  # outside production
        monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
        assert current_policy().allowed == () and current_policy().production
        monkeypatch.setitem(app.config, "SSO_OUTBOUND_ALLOW", "10.20.0.0/16")
        assert current_policy().allowed == parse_networks("10.20.0.0/16")


# Connections ----------------------------------------------------------------------------------------

def test_loopback_refused_at_connect_time_and_allowed_by_the_list(app: Flask, serve,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(_json({"ok": True}))
    port = server.httpd.server_port
    with app.app_context():
        monkeypatch.setitem(app.config, "SSO_OUTBOUND_ALLOW", "")
        # A host name passes the URL check; the address it resolves to is checked where the socket is made.
        for url in (f"http://localhost:{port}/x", f"http://127.0.0.1:{port}/x", f"http://[::ffff:127.0.0.1]:{port}/x"):
            with pytest.raises(OutboundError) as caught:
                get_json(url)
            assert caught.value.reason == "refused", url
        assert server.connections == 0  # not even a TCP connection reached it
        monkeypatch.setitem(app.config, "SSO_OUTBOUND_ALLOW", "127.0.0.1/32")
        assert get_json(f"http://localhost:{port}/x") == {"ok": True}
        assert server.connections == 1


def test_no_redirect_to_another_origin(app: Flask, serve) -> None:  # type: ignore[no-untyped-def]
    target = serve(_json({"secret": "internal"}))

    def redirect(request: BaseHTTPRequestHandler) -> None:
        if request.path == "/same":
            location = "/final"
        elif request.path == "/final":
            return _json({"followed": True})(request)
        else:
            location = target.url + "/"
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    origin = serve(redirect)
    with app.app_context():
        with pytest.raises(OutboundError) as caught:
            get_json(origin.url + "/elsewhere")
        assert caught.value.reason == "refused" and "redirect" in caught.value.detail
        assert target.connections == 0
        assert get_json(origin.url + "/same") == {"followed": True}  # same origin: followed


def test_response_size_is_capped_while_streaming(app: Flask, serve) -> None:  # type: ignore[no-untyped-def]
    def huge(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.end_headers()  # no Content-Length: the cap must count what arrives
        try:
            for _ in range(200):  # 200 × 64 KiB = 12.5 MiB offered
                request.wfile.write(b" " * 65536)
        except OSError:
            return

    server = serve(huge)
    with app.app_context():
        with pytest.raises(OutboundError) as caught:
            get_json(server.url + "/")
    assert caught.value.reason == "too_large"


def test_a_trickling_server_is_cut_off_at_the_deadline(app: Flask, serve,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every 0.3 s never trips a read timeout; the total deadline (1 s here) still ends it."""
    server = serve(_slow(0.3))
    monkeypatch.setitem(app.config, "SSO_OUTBOUND_TOTAL_SECONDS", "1")
    with app.app_context():
        started = time.monotonic()
        with pytest.raises(OutboundError) as caught:
            get_json(server.url + "/")
        elapsed = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert elapsed < 2.5, elapsed


def test_discovery_endpoints_are_held_to_the_rules(app: Flask, serve, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A discovery document may not send the token request (with the client secret) anywhere unsafe."""
    holder: dict[str, str] = {}

    def document(request: BaseHTTPRequestHandler) -> None:
        issuer = holder["issuer"]
        _json({"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
               "token_endpoint": "http://169.254.169.254/latest/meta-data/iam", "jwks_uri": issuer + "/jwks"})(request)

    server = serve(document)
    holder["issuer"] = server.url
    with app.app_context():
        with pytest.raises(SsoError) as caught:
            discover(server.url, use_cache=False)
    assert caught.value.reason == "discovery_failed" and caught.value.unavailable
    assert "169.254" not in caught.value.detail  # the audited detail is generic; the address is for operators
    assert "token_endpoint" in caught.value.detail


def test_token_request_goes_through_the_guards(app: Flask, serve) -> None:  # type: ignore[no-untyped-def]
    """Authlib's client is wired through the outbound client: a 307 to another host is not followed
    (it would re-send the code and the client secret there)."""
    thief = serve(_json({"access_token": "x", "id_token": "y", "token_type": "Bearer"}))

    def redirecting_token_endpoint(request: BaseHTTPRequestHandler) -> None:
        request.send_response(307)
        request.send_header("Location", thief.url + "/token")
        request.send_header("Content-Length", "0")
        request.end_headers()

    server = serve(redirecting_token_endpoint)
    metadata = ProviderMetadata(issuer=server.url, authorization_endpoint=server.url + "/authorize",
                                token_endpoint=server.url + "/token", jwks_uri=server.url + "/jwks",
                                userinfo_endpoint=None, end_session_endpoint=None, algorithms=("RS256",))
    with app.test_request_context():
        with pytest.raises(SsoError) as caught:
            exchange_code(metadata, "client", "secret", "http://localhost/cb", "code", "verifier")
    assert caught.value.reason == "token_exchange_failed" and caught.value.unavailable
    assert thief.connections == 0


# Through the pages -------------------------------------------------------------------------------------

def test_anonymous_login_start_cannot_reach_an_internal_address(app: Flask, client, serve,  # type: ignore[no-untyped-def]
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(_json({"issuer": "whatever"}))
    configure(app, OME, server.url)
    monkeypatch.setitem(app.config, "SSO_OUTBOUND_ALLOW", "")
    response = client.get(f"/login/{OME}")
    assert response.status_code == 503
    assert server.connections == 0
    assert failures(app, OME)[-1] == {"reason": "discovery_failed",
                                      "detail": "request to the provider failed (refused)"}


def test_admin_check_reports_one_generic_failure(app: Flask, login_as, serve,  # type: ignore[no-untyped-def]
                                                 idp_a: Provider) -> None:
    """Whatever an address answers (nothing, HTTP 401, not JSON, another issuer), the admin reads the
    same sentence; the operators' log has the cause."""
    answers = [_json({"error": "unauthorized"}, status=401), _json({"issuer": "http://10.1.2.3"}),
               lambda request: request.send_error(500)]
    client = login_as("tenant_admin")
    pages = []
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    app.logger.addHandler(handler)  # the operators' log (the app's own logger, whatever its handlers)
    try:
        for answer in answers:
            server = serve(answer)
            configure(app, OME, server.url)
            pages.append(client.post("/admin/sso/check", follow_redirects=True).get_data(as_text=True))
        configure(app, OME, "http://127.0.0.1:9")  # nothing listens
        pages.append(client.post("/admin/sso/check", follow_redirects=True).get_data(as_text=True))
    finally:
        app.logger.removeHandler(handler)
    for page in pages:
        assert "確認に失敗しました" in page and "運用担当者" in page
        assert "HTTP 401" not in page and "10.1.2.3" not in page and "Connection refused" not in page
        assert "unauthorized" not in page and "HTTP 500" not in page
    assert "HTTP 401" in log.getvalue() and "10.1.2.3" in log.getvalue()
    configure(app, OME, idp_a.url)
    assert "issuer が一致" in client.post("/admin/sso/check", follow_redirects=True).get_data(as_text=True)


def test_dead_provider_answers_503_at_once_for_a_while(app: Flask, serve, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The circuit breaker: the first login waits at most the deadline; the next ones answer at once,
    without a connection to the provider, until the breaker's time is up; then one success closes it."""
    server = serve(_slow(0.3))
    monkeypatch.setitem(app.config, "SSO_OUTBOUND_TOTAL_SECONDS", "1")
    configure(app, OME, server.url)
    client = app.test_client()
    started = time.monotonic()
    first = client.get(f"/login/{OME}")
    assert first.status_code == 503 and time.monotonic() - started < 2.5
    assert server.connections == 1
    assert "しばらくしてから" in first.get_data(as_text=True) and int(first.headers["Retry-After"]) >= 5
    for _ in range(3):
        started = time.monotonic()
        again = client.get(f"/login/{OME}")
        assert again.status_code == 503 and time.monotonic() - started < 0.5
    assert server.connections == 1  # no worker waited on the provider again
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        assert breaker.open_for(OME) > 20
        breaker.reset(OME)


def test_breaker_opens_longer_each_time_and_closes_on_success(app: Flask) -> None:
    with app.app_context():
        breaker.reset(OME)
        assert breaker.open_for(OME) == 0
        assert breaker.record_failure(OME) == 30
        assert breaker.record_failure(OME) == 60
        assert 55 < breaker.open_for(OME) <= 60
        breaker.record_success(OME)
        assert breaker.open_for(OME) == 0
        assert breaker.begin_fetch(OME, 5) and not breaker.begin_fetch(OME, 5)
        breaker.end_fetch(OME)
        assert breaker.begin_fetch(OME, 5)
        breaker.reset(OME)


def test_secret_is_not_sent_to_a_moved_token_endpoint(app: Flask, idp_a: Provider) -> None:
    """The first login pins the token endpoint's origin; when the discovery document later names another
    server, the login is refused and the stored secret cleared instead of being sent there."""
    from sqlalchemy import select

    from kernel.audit import AuditEntry
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tenants.sso.models import SsoProvider
    from tests.sso.conftest import sso_login

    configure(app, OME, idp_a.url)
    idp_a.set_user("pin", email="pin@ome.example.jp")
    assert sso_login(app.test_client(), OME, "pin").status_code == 302

    def row() -> SsoProvider:
        bind_tenant(OME)
        return db.session.get(SsoProvider, OME)

    with app.app_context():
        assert row().token_endpoint_pin == f"http://127.0.0.1:{idp_a.url.rsplit(':', 1)[1]}"
        row().token_endpoint_pin = "https://idp-old.example.jp:"  # where the secret went until now
        db.session.commit()
        db.session.remove()
    response = sso_login(app.test_client(), OME, "pin")
    assert response.status_code == 400 and "入力し直す" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "endpoint_changed"
    with app.app_context():
        assert row().client_secret_enc == "" and row().token_endpoint_pin is None
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sso.secret_voided")).all()
        db.session.remove()
