"""Security headers (issue 15, point 8): HSTS in production, Permissions-Policy everywhere, no-store on
every page, private file and export; CSRF tokens that expire with the session."""
from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from kernel.extensions import db
from tests.authz.matrix import resolve
from tests.authz.providers import load_all
from tests.conftest import login


def test_permissions_policy_everywhere_and_hsts_only_in_production(app: Flask, client,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    page = client.get("/login")
    assert "camera=()" in page.headers["Permissions-Policy"] and "geolocation=()" in page.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in page.headers  # development and tests run on plain http
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    for path in ("/login", "/healthz", "/static/css/portal.css"):
        response = client.get(path)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
        assert "Permissions-Policy" in response.headers, path


def test_private_files_and_exports_are_never_stored(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        attachment = resolve("/cases/{attachment:own}", load_all())
        db.session.commit()
        db.session.remove()
    login(client, "member")
    for path in (attachment, "/casebook/export.xlsx", "/cases/import-template.xlsx", "/", "/profile/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", (path, response.headers["Cache-Control"])
    static = client.get("/static/css/portal.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")  # public assets may be cached


def _form_token(client, path: str = "/profile/") -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def test_csrf_token_lives_as_long_as_the_session(app: Flask, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert app.config["WTF_CSRF_TIME_LIMIT"] == app.config["PERMANENT_SESSION_LIFETIME"] == 12 * 3600
    login(client, "member")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    fresh = _form_token(client)
    with client.session_transaction() as session:
        raw = session["csrf_token"]

    class _ThirteenHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600

    old = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=_ThirteenHoursAgo).dumps(raw)
    refused = client.post("/profile/tokens", data={"csrf_token": old, "name": "old", "scopes": ["cases:read"]})
    assert refused.status_code == 400
    accepted = client.post("/profile/tokens", data={"csrf_token": fresh, "name": "new", "scopes": ["cases:read"]})
    assert accepted.status_code == 200 and 'data-testid="new-token"' in accepted.get_data(as_text=True)
