"""The session cookie and CSRF token as each worker remembers them (kernel.signed_cookies, issue 25.5):
the same answers as Flask and Flask-WTF give, an expired or forged cookie refused as before, a flash
shown once, and a CSRF token that still has to match the person's own session."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from kernel import signed_cookies
from tests.conftest import login

COOKIE = "yokoten_session"  # SESSION_COOKIE_NAME


def _cookie(client) -> str:  # type: ignore[no-untyped-def]
    found = client.get_cookie(COOKIE)
    assert found is not None
    return found.value


def _csrf(client, path: str = "/profile/") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match, page[:300]
    return match.group(1)


def test_a_verified_cookie_is_remembered_and_still_expires(app: Flask, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert app.config["SESSION_COOKIE_NAME"] == COOKIE
    login(client, "member")
    assert client.get("/profile/").status_code == 200  # the first page adds the CSRF secret: a new cookie
    assert client.get("/profile/").status_code == 200  # which this request presents
    interface = app.session_interface
    assert isinstance(interface, signed_cookies.RememberingSessionInterface)
    assert _cookie(client) in interface._verified
    # Past the session's lifetime the remembered cookie is refused like an unremembered one: logged out.
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = signed_cookies._now() + lifetime + 5
    monkeypatch.setattr(signed_cookies, "_now", lambda: later)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(later))  # itsdangerous's clock too
    assert client.get("/profile/").status_code == 302


def test_a_forged_cookie_is_not_remembered_and_logs_nobody_in(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    login(client, "member")
    genuine = _cookie(client)
    forged = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    client.set_cookie(COOKIE, forged)
    assert client.get("/profile/").status_code == 302
    assert forged not in app.session_interface._verified


def test_a_flash_is_shown_once(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    """flash() appends to the session's list in place: a cookie holding a list is never remembered."""
    login(client, "member")
    page = client.get("/profile/").get_data(as_text=True)
    # Revoking asks first; confirming flashes the result on the page it redirects to.
    created = client.post("/profile/tokens", data={"name": "一度だけ", "scopes": ["cases:read"]})
    assert created.status_code == 200
    page = client.get("/profile/").get_data(as_text=True)
    token_id = re.search(r"/profile/tokens/(\d+)/revoke", page).group(1)
    done = client.post(f"/profile/tokens/{token_id}/revoke", data={"confirm": "yes"})
    assert done.status_code == 302
    with_flash = _cookie(client)
    assert with_flash not in app.session_interface._verified
    first = client.get("/profile/").get_data(as_text=True)
    second = client.get("/profile/").get_data(as_text=True)
    assert "トークンを失効させました。" in first and "トークンを失効させました。" not in second


def test_the_csrf_token_is_reused_for_a_while_and_bound_to_its_session(app: Flask, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, "member")
    first = _csrf(client)
    # Ten seconds later Flask-WTF alone would sign a different token (its timestamp is in it): the same one.
    soon = signed_cookies._now() + 10
    monkeypatch.setattr(signed_cookies, "_now", lambda: soon)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(soon))
    assert _csrf(client) == first
    # The form's own hidden field carries the same token as the page's meta tag.
    assert f'name="csrf_token" type="hidden" value="{first}"' in client.post(
        "/profile/tokens", data={"csrf_token": first, "name": ""}).get_data(as_text=True)
    accepted = client.post("/profile/tokens", data={"csrf_token": first, "name": "再利用", "scopes": ["cases:read"]})
    assert accepted.status_code == 200 and 'data-testid="new-token"' in accepted.get_data(as_text=True)
    # Another person's session has another secret: their token differs and this one is refused there.
    other = app.test_client()
    login(other, "other_member")
    assert _csrf(other) != first
    refused = other.post("/profile/tokens", data={"csrf_token": first, "name": "他人", "scopes": ["cases:read"]})
    assert refused.status_code == 400
    # After the reuse window a freshly signed token is handed out (and the old one is still valid).
    later = signed_cookies._now() + signed_cookies.CSRF_TOKEN_REUSE_SECONDS + 1
    monkeypatch.setattr(signed_cookies, "_now", lambda: later)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(later))
    assert _csrf(client) != first


@pytest.mark.parametrize("value", [["a"], {"k": "v"}])
def test_only_plain_values_are_remembered(app: Flask, value) -> None:  # type: ignore[no-untyped-def]
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    text = serializer.dumps({"lang": "ja", "x": value})
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={text}"}):
        from flask import request

        opened = interface.open_session(app, request)
    assert opened is not None and opened["x"] == value and text not in interface._verified
