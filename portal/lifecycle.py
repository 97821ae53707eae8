"""Per-request hooks: request id, one commit at the request boundary, security headers."""
from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request
from sqlalchemy.exc import SQLAlchemyError

from portal import audit
from portal.extensions import db

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def commit_or_rollback(response: Response) -> Response:
        # One commit per request, at its boundary: services only add and flush.
        if response.status_code < 400:
            try:
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                app.logger.exception("commit failed")
                from portal.errors import render_error

                response = render_error(500)
        else:
            db.session.rollback()
        try:
            audit.flush_always()
        except SQLAlchemyError:
            db.session.rollback()
            app.logger.exception("could not write audit entries")
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint and not request.endpoint.endswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
