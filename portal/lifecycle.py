"""Per-request hooks: request id, one commit at the request boundary, security headers."""
from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask, Response
from flask.globals import _cv_app, _cv_request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from kernel import audit
from kernel.extensions import db

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

PERMISSIONS_POLICY = ("accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), xr-spatial-tracking=()")
HSTS = "max-age=31536000; includeSubDomains"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _has_nul(values: MultiDict[str, Any]) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)
               if isinstance(value, str))


def register_request_hooks(app: Flask) -> None:
    # The hooks read the request and g from their context variables, not through the request / g proxies at
    # every use: they run on every request (issue 25.5).
    @app.before_request
    def assign_request_id() -> None:
        incoming = _cv_request.get().request.headers.get("X-Request-ID", "")
        _cv_app.get().g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.before_request
    def refuse_nul_bytes() -> Response | None:
        # PostgreSQL cannot store NUL in text; refuse it up front with a clear 400 (never a 500).
        # Files are not inspected: their content may legitimately contain NUL bytes.
        # Query strings are left to the views (a search may simply drop the character); a NUL that
        # still reaches PostgreSQL is answered 400 by kernel.errors.
        request = _cv_request.get().request
        found = False
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            found = _has_nul(request.form) or any("\x00" in (f.filename or "") for f in request.files.values())
            if not found and request.is_json:
                found = b"\\u0000" in request.get_data(cache=True)
        if found:
            from kernel.errors import render_error

            return render_error(400, _("The input contains a NUL character, which cannot be used. Remove it and "
                                       "try again."))
        return None

    @app.after_request
    def commit_or_rollback(response: Response) -> Response:
        # One commit per request, at its boundary: services only add and flush.
        if response.status_code < 400:
            try:
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                app.logger.exception("commit failed")
                from kernel.errors import render_error

                response = render_error(500)
        else:
            db.session.rollback()
        try:
            audit.flush_always()
        except SQLAlchemyError:
            db.session.rollback()
            app.logger.exception("could not write audit entries")
        return response

    # The fixed security headers, in the order they are added; checked against what the response has in one
    # pass (Headers.setdefault would scan the header list once per header: some 240 calls on every page).
    fixed = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
             ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
             ("Permissions-Policy", PERMISSIONS_POLICY)]
    fixed_lower = [(name.lower(), name, value) for name, value in fixed]

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        for lower, name, value in fixed_lower:
            if lower not in present:
                headers.add(name, value)
        if app.config.get("PORTAL_ENV") == "production" and "strict-transport-security" not in present:
            # Production is served over https only (behind the TLS-terminating proxy): browsers must
            # never try plain http for this host again, which also stops SSL-stripping on the way.
            headers.add("Strict-Transport-Security", HSTS)
        headers["X-Request-ID"] = _cv_app.get().g.__dict__.get("request_id", "")
        endpoint = _cv_request.get().request.endpoint
        if endpoint and not endpoint.endswith("static") \
                and ("cache-control" not in present or not response.cache_control.public):
            # Pages, private attachments and exports: never stored by the browser or a proxy (send_file
            # would say "no-cache", which still stores the file on a shared office PC's disk).
            headers["Cache-Control"] = "no-store"
        return response
