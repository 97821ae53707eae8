"""Structured logs and Prometheus metrics (issue 24.5; the logging parts of issue 15.8)."""
from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
import requests

from portal.logging import ACCESS_LOGGER, JsonFormatter, json_handler
from tests.ops.conftest import login_session

TOKEN = "metrics-token-for-the-tests-0123456789"


class Log:
    """Every JSON line the root logger writes while a test runs."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def raw(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict]:  # type: ignore[type-arg]
        return [json.loads(line) for line in self.raw.splitlines()]  # every line must be one JSON object

    def access(self, path_prefix: str) -> dict:  # type: ignore[type-arg]
        found = [e for e in self.entries() if e["logger"] == ACCESS_LOGGER and e["path"].startswith(path_prefix)]
        assert found, f"no access line for {path_prefix}"
        return found[-1]


@pytest.fixture
def log() -> Iterator[Log]:
    captured = Log()
    handler = json_handler(captured.stream)
    handler.yokoten_json = False  # type: ignore[attr-defined]  # not the app's own: a new app must keep it
    root = logging.getLogger()
    root.addHandler(handler)
    yield captured
    root.removeHandler(handler)


def test_one_json_line_per_request_with_tenant_user_route_and_statements(client, login_as, log) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    response = client.get("/cases?tag=子育て&page=1", headers={"X-Request-ID": "req-logs-000001"})
    assert response.status_code == 200
    entry = log.access("/cases")
    assert entry["request_id"] == "req-logs-000001" and entry["tenant"] == "132055"
    assert isinstance(entry["user_id"], int) and entry["user_id"] > 0
    assert entry["method"] == "GET" and entry["route"] == "/cases" and entry["status"] == 200
    assert entry["statements"] >= 2 and entry["duration_ms"] > 0
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", entry["time"])
    assert entry["query"] == {"tag": "子育て", "page": "1"}
    # Japanese is written as such, not as \\u escapes
    raw = log.raw
    assert "子育て" in raw and "\\u5b50" not in raw

    client.get("/cases/999999999")
    missing = log.access("/cases/999999999")
    assert missing["route"] == "/cases/<int:case_id>" and missing["status"] == 404


def test_access_line_written_directly_is_the_line_logging_writes(client, login_as, log) -> None:  # type: ignore[no-untyped-def]
    # With only JSON handlers (as configured) the access line is written straight to their streams
    # (portal/logging.py _write_access); with any other handler it goes through logging. Same line either way.
    from portal.logging import _json_handlers

    login_as("member")
    access, root = logging.getLogger(ACCESS_LOGGER), logging.getLogger()
    headers = {"X-Request-ID": "req-direct-000001"}
    client.get("/cases?tag=子育て&page=1", headers=headers)  # warm: the same statements on both requests below
    # As in production: only the JSON handlers take INFO records (pytest's own capturing handlers step aside).
    others = [h for h in root.handlers if h.level <= logging.INFO and not isinstance(h.formatter, JsonFormatter)]
    for handler in others:
        root.removeHandler(handler)
    try:
        assert _json_handlers(access) is not None  # the direct way
        client.get("/cases?tag=子育て&page=1", headers=headers)
        direct = log.access("/cases")
        records: list[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        keep = Keep()
        access.addHandler(keep)
        try:
            assert _json_handlers(access) is None  # through logging
            client.get("/cases?tag=子育て&page=1", headers=headers)
        finally:
            access.removeHandler(keep)
    finally:
        for handler in others:
            root.addHandler(handler)
    through = log.access("/cases")
    assert [r.getMessage() for r in records] == ["GET /cases 200"] and records[0].access["query"] == {
        "tag": "子育て", "page": "1"}
    assert len([e for e in log.entries() if e["logger"] == ACCESS_LOGGER and e["path"] == "/cases"]) == 3
    for entry in (direct, through):
        assert entry.pop("time") and entry.pop("duration_ms") > 0
    assert direct == through and direct["request_id"] == "req-direct-000001" and direct["user_id"]


def test_search_terms_and_sso_callback_codes_are_not_logged(client, login_as, log) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    client.get("/cases?q=生活保護の相談記録&page=2")
    search = log.access("/cases")
    assert search["query"] == {"q": "[dropped]", "page": "2"}
    client.get("/login/132055/callback?code=SECRET-AUTH-CODE-123&state=STATE-VALUE-456&iss=https://idp")
    callback = log.access("/login/132055/callback")
    assert callback.get("query_dropped") is True and "query" not in callback
    raw = log.raw
    for secret in ("生活保護", "SECRET-AUTH-CODE-123", "STATE-VALUE-456"):
        assert secret not in raw


def test_app_log_masks_e_mail_addresses_and_keeps_exceptions_on_one_line(app, log) -> None:  # type: ignore[no-untyped-def]
    from tenants.sso.oidc import SsoError

    error = SsoError("email_not_allowed", "domain of taro.yamada@evil.example.com not allowed")
    with app.test_request_context("/login/132055/callback"):
        app.logger.warning("SSO login refused for %s: %s %s", "132055", error.reason, error.detail)
        try:
            raise ValueError("account hanako@ome.example.jp 不明")
        except ValueError:
            app.logger.exception("unhandled error")
    lines = log.entries()
    refused = [e for e in lines if e["message"].startswith("SSO login refused")][-1]
    assert refused["message"] == "SSO login refused for 132055: email_not_allowed domain of " \
                                 "[e-mail]@evil.example.com not allowed"
    assert refused["level"] == "WARNING" and refused["logger"] == "portal"
    failed = [e for e in lines if e["message"] == "unhandled error"][-1]
    assert "ValueError: account [e-mail]@ome.example.jp 不明" in failed["exception"]
    raw = log.raw
    assert "taro.yamada@" not in raw and "hanako@" not in raw


def test_metrics_are_for_operators_only(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    app.config["METRICS_TOKEN"] = TOKEN
    try:
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        client.get("/healthz")
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200 and scraped.mimetype == "text/plain"
        body = scraped.get_data(as_text=True)
        assert 'yokoten_http_requests_total{method="GET",route="/healthz",status="200"}' in body
        assert 'yokoten_http_request_duration_seconds_bucket{le="0.005",route="/healthz"}' in body
        assert "yokoten_db_pool_connections" in body
        login_as("member")
        assert client.get("/metrics").status_code == 404
        client.post("/logout")
        login_as("operator")
        assert client.get("/metrics").status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""


def _sample(body: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_refused_logins_are_counted(app, client) -> None:  # type: ignore[no-untyped-def]
    app.config["METRICS_TOKEN"] = TOKEN
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        before = _sample(client.get("/metrics", headers=auth).get_data(as_text=True),
                         "yokoten_login_failures_total", kind="login")
        refused = client.post("/dev-login", data={"tenant": "132055", "email": "nobody@ome.example.jp"})
        assert refused.status_code == 400
        after = _sample(client.get("/metrics", headers=auth).get_data(as_text=True),
                        "yokoten_login_failures_total", kind="login")
        assert after == before + 1
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_gunicorn_workers_share_metrics_and_every_log_line_is_json(gunicorn) -> None:  # type: ignore[no-untyped-def]
    server = gunicorn(METRICS_TOKEN=TOKEN, WEB_CONCURRENCY="2")
    http = login_session(server.url, "132055", "member@ome.example.jp")
    for _ in range(20):
        assert http.get(server.url + "/cases", timeout=10).status_code == 200
    auth = {"Authorization": f"Bearer {TOKEN}"}
    # Whichever worker answers the scrape, it reports the sum over both workers' files.
    counts = set()
    for _ in range(4):
        body = requests.get(server.url + "/metrics", headers=auth, timeout=10).text
        counts.add(_sample(body, "yokoten_http_requests_total", route="/cases", status="200"))
    assert counts == {20.0}
    assert requests.get(server.url + "/metrics", timeout=10).status_code == 404
    server.stop()
    lines = [line for line in server.log.read_text(encoding="utf-8").splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in entries)
    cases = [e for e in entries if e["logger"] == ACCESS_LOGGER and e["route"] == "/cases"]
    assert len(cases) == 20 and all(e["tenant"] == "132055" and e["user_id"] for e in cases)
    assert len({e["request_id"] for e in cases}) == 20

