"""The session cookie and the CSRF token, without signing or verifying the same bytes on every request.

Every logged-in page verified the session cookie's signature (Flask's ``SecureCookieSessionInterface``:
a new serializer, base64, HMAC, tagged JSON) and signed a fresh CSRF token for its forms (Flask-WTF's
``generate_csrf``): some 500 function calls on every page (issue 25.5), although a person's cookie
and CSRF secret stay the same from one request to the next. Here each worker remembers:

- a session cookie it has verified, by its exact text, with its data and signing time. The same text
  again is the same data, and its age is checked on every request as itsdangerous checks it (a cookie
  past PERMANENT_SESSION_LIFETIME is refused the same way). Only cookies whose values are plain strings
  and numbers are remembered: Flask's ``flash`` appends to the list in the session in place, which must
  never reach the remembered copy.
- the CSRF token it signed for a session's CSRF secret, for CSRF_TOKEN_REUSE_SECONDS. A token is
  valid for WTF_CSRF_TIME_LIMIT (the session's lifetime) from its signing, so reusing it for a few
  minutes shortens no form's life noticeably; the secret, the check and the token's form are Flask-WTF's.

Both stores are bounded (kernel.memo.kept) and per app. tests/portal/test_signed_cookies.py.
"""
from __future__ import annotations

import time
from typing import Any, Optional

from flask import Flask, Request
from flask.globals import _cv_app, _cv_request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

from kernel.memo import kept

MAX_REMEMBERED = 4096
CSRF_TOKEN_REUSE_SECONDS = 300
_PLAIN = (str, int, float, bool, type(None))


def _now() -> float:
    return time.time()


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; a cookie this worker has verified is not verified again."""

    def __init__(self) -> None:
        self._verified: dict[str, tuple[dict[str, Any], int]] = {}

    def open_session(self, app: Flask, request: Request) -> Optional[SecureCookieSession]:
        if not app.secret_key:
            return None  # as Flask: no key, no session (Flask then reports it on the first write)
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._verified.get(text)
        if known is not None and 0 <= int(_now()) - known[1] <= max_age:
            return self.session_class(known[0])
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            data, signed_at = serializer.loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:  # a forged, damaged or expired cookie: an empty session, as in Flask
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(value, _PLAIN) for value in data.values()):
            kept(self._verified, text, lambda: (dict(data), int(signed_at.timestamp())), MAX_REMEMBERED)
        return self.session_class(data)


def init_signed_cookies(app: Flask) -> None:
    """Install both memos on ``app`` (after CSRFProtect, whose template helper is replaced)."""
    app.session_interface = RememberingSessionInterface()
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")  # where Flask-WTF keeps secret and token
    store: dict[str, tuple[str, float]] = {}

    # The request's session and g are read from their context variables, not through the session / g proxies:
    # a page asks for its token several times (the layout, its forms).
    def remembered(secret: Any) -> Optional[str]:
        """The token signed here for the session's CSRF secret less than CSRF_TOKEN_REUSE_SECONDS ago."""
        known = store.get(secret) if isinstance(secret, str) else None
        return known[0] if known is not None and 0 <= _now() - known[1] < CSRF_TOKEN_REUSE_SECONDS else None

    def prime() -> None:
        # Before the view: a form built there (a FlaskForm signs its token when it is constructed) finds the
        # remembered token where Flask-WTF looks first, so the page's forms and meta tag carry one token.
        token = remembered(_cv_request.get().session.get(field))
        if token is not None:
            setattr(_cv_app.get().g, field, token)

    def csrf_token() -> str:
        """The request's CSRF token (the templates' csrf_token()): Flask-WTF's, reused as described above."""
        token: Optional[str] = _cv_app.get().g.__dict__.get(field)  # primed, or signed by a form of this request
        if not token:
            token = generate_csrf()
        secret = _cv_request.get().session.get(field)  # read after generate_csrf, which may have made it
        if isinstance(secret, str) and store.get(secret, ("",))[0] != token and remembered(secret) is None:
            if len(store) >= MAX_REMEMBERED:
                store.clear()
            store[secret] = (token, _now())
        return token

    app.before_request(prime)
    # Replaces Flask-WTF's generate_csrf (the same token). CSRFProtect also hands generate_csrf to every
    # template through a context processor, which would win over the global: that processor goes (its
    # other name, csrf_meta_tag, stays a global as CSRFProtect set it).
    app.jinja_env.globals["csrf_token"] = csrf_token
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if getattr(p, "__module__", None) != "flask_wtf.csrf"]
