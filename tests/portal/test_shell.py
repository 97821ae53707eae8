"""The shell: configuration safety, health probes, error pages, security headers, no foreign hosts."""
from __future__ import annotations

import logging
import re

import pytest

from kernel.config import ConfigError
from portal.app import create_app
from tests.conftest import BASE_CONFIG


def test_production_refuses_to_start_without_secret_key(cluster) -> None:  # type: ignore[no-untyped-def]
    urls = cluster.urls("unit")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**urls, "PORTAL_ENV": "production", "SECRET_KEY": "", "DEV_LOGIN_ENABLED": False})


def test_production_refuses_the_development_login(cluster) -> None:  # type: ignore[no-untyped-def]
    urls = cluster.urls("unit")
    with pytest.raises(ConfigError, match="DEV_LOGIN_ENABLED"):
        create_app({**urls, "PORTAL_ENV": "production", "SECRET_KEY": "s" * 40, "DEV_LOGIN_ENABLED": True})


def test_production_cookies_are_secure(cluster) -> None:  # type: ignore[no-untyped-def]
    import os

    os.environ["PORTAL_ENV"] = "production"
    try:
        app = create_app({**cluster.urls("unit"), "SECRET_KEY": "s" * 40,
                          "SSO_SECRET_KEY": BASE_CONFIG["SSO_SECRET_KEY"]})
    finally:
        del os.environ["PORTAL_ENV"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_login_is_off_unless_enabled(cluster) -> None:  # type: ignore[no-untyped-def]
    app = create_app({**BASE_CONFIG, **cluster.urls("unit"), "DEV_LOGIN_ENABLED": False})
    client = app.test_client()
    assert client.post("/dev-login", data={"tenant": "132055", "email": "member@ome.example.jp"}).status_code == 404
    assert "開発用ログイン" not in client.get("/login").get_data(as_text=True)


def test_health_and_readiness(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ok" and ready.json["migration"] == ready.json["head"]


@pytest.mark.parametrize(("path", "status", "title"), [
    ("/no-such-page", 404, "ページが見つかりません"),
    ("/admin/users", 403, "権限がありません"),
])
def test_error_pages_are_japanese(client, login_as, path, status, title) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    response = client.get(path)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in body and 'lang="ja"' in body


def test_400_409_500_pages_render_in_japanese(app) -> None:  # type: ignore[no-untyped-def]
    from kernel.errors import render_error

    with app.test_request_context("/"):
        for status, title in ((400, "リクエストを処理できませんでした"), (409, "ほかの人がこの内容を先に更新しました"),
                              (500, "エラーが発生しました"), (503, "ただいま混み合っています")):
            response = render_error(status)
            assert response.status_code == status
            assert title in response.get_data(as_text=True)
            if status == 503:
                assert response.headers["Retry-After"] == "5"


def test_unexpected_exception_gives_japanese_500_not_a_trace(cluster) -> None:  # type: ignore[no-untyped-def]
    app = create_app({**BASE_CONFIG, **cluster.urls("unit"), "TESTING": False})

    @app.get("/_boom_test")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    response = app.test_client().get("/_boom_test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "エラーが発生しました" in body and "secret internals" not in body


def test_security_headers_and_no_foreign_hosts(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("tenant_admin")
    for path in ("/", "/admin/", "/admin/users", "/admin/audit", "/profile/", "/login"):
        response = client.get(path, follow_redirects=True)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        body = response.get_data(as_text=True)
        foreign = [u for u in re.findall(r'(?:src|href|action)="((?:https?:)?//[^"]+)"', body)
                   if not u.startswith(("http://localhost", "//localhost"))]
        assert not foreign, f"{path} refers to another host: {foreign}"


def test_open_redirect_through_next_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/dev-login", data={"tenant": "132055", "email": "member@ome.example.jp",
                                                   "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
        client.post("/logout")


def test_logs_carry_request_id_and_tenant(cluster) -> None:  # type: ignore[no-untyped-def]
    from portal.logging import RequestContextFilter
    from tests.conftest import login

    app = create_app({**BASE_CONFIG, **cluster.urls("unit")})
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    @app.after_request
    def _log(resp):  # type: ignore[no-untyped-def]
        app.logger.info("probe")
        return resp

    handler = Capture()
    handler.addFilter(RequestContextFilter())
    app.logger.addHandler(handler)
    client = app.test_client()
    login(client, "member")
    response = client.get("/", headers={"X-Request-ID": "req-0123456789ab"})
    assert response.headers["X-Request-ID"] == "req-0123456789ab"
    probe = [r for r in records if r.getMessage() == "probe"]
    assert probe[-1].request_id == "req-0123456789ab" and probe[-1].tenant == "132055"
    client.post("/logout")


def test_logged_out_cookie_is_dead(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    cookie = client.get_cookie("yokoten_session").value
    assert client.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("yokoten_session", cookie)
    assert replay.get("/").status_code == 302  # the server-side session has ended
