"""A service's refusal (ServiceError), and error pages in the user's language (JSON under /api/), never a
bare stack trace."""
from __future__ import annotations

from typing import Optional

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from kernel import audit


class ServiceError(ValueError):
    """A rule of the domain refused the request; ``message`` is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("The request could not be processed"),
              _("The form may have expired or contained invalid data. Go back, reload the page and try again.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (_("You do not have permission"),
              _("Your role does not allow this action. Ask your municipality's administrator if you need it.")),
        404: (_("Page not found"), _("The page does not exist, or you are not allowed to see it.")),
        405: (_("This action is not allowed"), _("This page does not accept that kind of request.")),
        409: (_("Someone else changed this in the meantime"),
              _("Your changes were not saved. Reload the latest version and apply your changes again.")),
        413: (_("The file is too large"), _("The upload exceeds the size limit. Choose a smaller file.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
        500: (_("Something went wrong"),
              _("The error has been recorded. Please try again later; nothing you submitted was half-saved.")),
        503: (_("The service is busy"), _("The portal is temporarily unavailable. Please try again in a few seconds.")),
    }


def render_error(status: int, detail: str | None = None, database: bool = True) -> Response:
    """The error page (JSON under /api/). ``database=False``: the page must not touch the database."""
    title, message = _messages().get(status, _messages()[500])
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"status": status, "title": title, "message": detail or message}})
    else:
        # The full layout loads the current user; while the database is unreachable or the pool is
        # exhausted that would wait (and fail) again, so a standalone page answers at once.
        if database:
            body = render_template("errors/error.html", status=status, title=title, message=message, detail=detail)
        else:  # no context processors: Flask-Login's would load the user from the database
            from kernel.i18n import current_lang

            body = current_app.jinja_env.get_template("errors/unavailable.html").render(
                status=status, title=title, message=message, current_lang=current_lang)
        response = current_app.response_class(body)
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def _requests(viewer: object, paths: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    """A refused request is named by its path, never linked (it was refused, and may have been a form's POST)."""
    return {path: (path, None) for path in paths}


audit.register_object_resolver("request", _requests)


def csrf_refused() -> Response:
    """A POST without a valid CSRF token: refused and audited (portal.drafts first keeps a long form's text)."""
    audit.record_always("access.csrf_rejected", "request", request.path)
    return render_error(400, _("The security token of the form was missing or expired. Reload the page."))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return csrf_refused()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        already = any(item["action"] == "access.denied" for item in g.get("audit_always", []))
        if status == 403 and not already:
            audit.record_always("access.denied", "request", request.path)
        description = getattr(error, "yokoten_detail", None)
        response = render_error(status, description)
        for header in ("Allow", "Retry-After"):
            original = error.get_response().headers.get(header)
            if original:
                response.headers[header] = original
        return response

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(OperationalError)
    def database_unavailable(error: Exception) -> Response:
        app.logger.warning("database unavailable: %s", error)
        _safe_rollback()
        return render_error(503, database=False)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Response:
        app.logger.exception("database error")
        _safe_rollback()
        return render_error(500)

    @app.errorhandler(ValueError)
    def value_error(error: ValueError) -> Response:
        # psycopg2 refuses NUL characters in text parameters before anything is sent: bad input, not a bug.
        _safe_rollback()
        if "NUL (0x00)" in str(error):
            return render_error(400, _("The input contains a NUL character, which cannot be used. Remove it and "
                                       "try again."))
        app.logger.exception("unhandled error")
        return render_error(500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error")
        _safe_rollback()
        return render_error(500)


def _safe_rollback() -> None:
    from kernel.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the pool recycles it
        pass
