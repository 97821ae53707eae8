"""current_user resolves through tenants.auth._user_of_request (issue 25.5): the same answers as Flask-Login's
own _get_user, in and out of a request, before and after the loaders ran, and after logout_user."""
from __future__ import annotations

import flask_login.utils
from flask import g
from flask_login import current_user, logout_user

from tenants.auth import _user_of_request
from tests.conftest import login


def _flask_login_get_user():  # type: ignore[no-untyped-def]
    """Flask-Login 0.6's _get_user, as written there (the reference)."""
    from flask import current_app, has_request_context

    if has_request_context():
        if "_login_user" not in g:
            current_app.login_manager._load_user()  # type: ignore[attr-defined]
        return g._login_user
    return None


def test_installed(app) -> None:  # type: ignore[no-untyped-def]
    assert flask_login.utils._get_user is _user_of_request


def test_same_answers_as_flask_login(app) -> None:  # type: ignore[no-untyped-def]
    assert _user_of_request() is None and _flask_login_get_user() is None
    with app.app_context():
        assert _user_of_request() is None  # an app context without a request: no user
    with app.test_request_context("/"):
        anonymous = _user_of_request()  # the loaders run at the first access
        assert anonymous is _flask_login_get_user() and not anonymous.is_authenticated
        assert current_user.is_authenticated is False
    client = login(app.test_client(), "member")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    # A logged-in request, through the real loaders (the session cookie).
    with app.test_request_context("/", headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        user = _user_of_request()
        assert user is _flask_login_get_user() and user is current_user._get_current_object()
        assert user.email == "member@ome.example.jp" and user.is_authenticated
        logout_user()
        assert _user_of_request() is _flask_login_get_user() and not current_user.is_authenticated
