"""Structured logs: one JSON line per request and the application's own records in the same format.

Every line is one JSON object (``ensure_ascii=False``: Japanese stays readable) with the time (UTC,
milliseconds), level, logger, message, request id, tenant code and user id. The access line of a
request adds method, route (the URL rule, so ``/cases/<int:case_id>`` rather than every id), path,
status, duration, the number of SQL statements and the query string — minus what must not be kept:
on sensitive routes (SSO callbacks, searches, login) the query string is dropped, and sensitive
parameters (``code``, ``state``, search terms, tokens, e-mail) are dropped everywhere. E-mail
addresses in any message are masked (``[e-mail]@example.jp``): refused logins name the address they
refused, and an application log is no place for personal data (the audit log keeps who did what).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect

ACCESS_LOGGER = "yokoten.access"

# Parameters never logged, whatever the route: OAuth codes and state, search terms, tokens, addresses.
SENSITIVE_PARAMS = frozenset({"code", "state", "session_state", "id_token", "access_token", "token", "q", "query",
                              "email", "login_hint", "password", "error_description"})
# Routes whose whole query string is dropped (an IdP may add parameters of its own to a callback).
_SENSITIVE_ENDPOINT = re.compile(r"(callback|search|login|sso)", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
_MAX_VALUE = 100


def mask_emails(text: str) -> str:
    """``taro@ome.example.jp`` → ``[e-mail]@ome.example.jp`` (the domain says which municipality)."""
    return _EMAIL.sub(r"[e-mail]@\1", text)


class RequestContextFilter(logging.Filter):
    """Adds the request id, the tenant and the user id (without loading the user) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = None
        record.tenant = None
        record.user_id = None
        if has_app_context():
            record.request_id = g.get("request_id")
            record.tenant = g.get("tenant_id")
            record.user_id = _user_id()
        return True


def _user_id() -> int | None:
    # Flask-Login keeps the loaded user in g._login_user; reading current_user here would query the
    # database for a request that never needed the user (/healthz, static files). The id comes from
    # the ORM identity, never from an attribute: after the request's commit the object is expired and
    # reading an attribute would reload it (a transaction and a statement more per request).
    user = g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    identity = getattr(state, "identity", None)
    return identity[-1] if identity else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the fields of RequestContextFilter and an access record's ``access``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_emails(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "tenant": getattr(record, "tenant", None),
            "user_id": getattr(record, "user_id", None),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            entry.update(access)
        if record.exc_info:
            entry["exception"] = mask_emails(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_handler(stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.yokoten_json = True  # type: ignore[attr-defined]  # marks ours, so a second app replaces it
    return handler


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the root logger (the app's, the domains' and the access records)."""
    # Fields no line of ours writes (see JsonFormatter) are not collected for every record: the caller's file
    # and line (a walk up the stack), thread, process and multiprocessing names. The logging HOWTO's
    # "Optimization" section names these switches; the access line is written on every request.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "yokoten_json", False)]
    root.addHandler(json_handler())
    # INFO for our own loggers only (the access lines, the app's notices); libraries stay at WARNING.
    logging.getLogger("yokoten").setLevel(logging.INFO)
    app.logger.handlers = []
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = True
    with app.app_context():
        from kernel.extensions import db

        for engine in db.engines.values():
            if not event.contains(engine, "before_cursor_execute", _count_statement):
                event.listen(engine, "before_cursor_execute", _count_statement)
    _register_access_log(app)


def _count_statement(*_args: Any) -> None:
    if has_request_context():
        g.yokoten_statements = g.get("yokoten_statements", 0) + 1


def query_for_log(endpoint: str | None) -> dict[str, str] | None:
    """The request's query parameters as they may be logged (None: dropped for this route)."""
    if not request.args:
        return {}
    if endpoint and _SENSITIVE_ENDPOINT.search(endpoint):
        return None
    return {key: ("[dropped]" if key.lower() in SENSITIVE_PARAMS else value[:_MAX_VALUE])
            for key, value in request.args.items()}


def _register_access_log(app: Flask) -> None:
    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def start_timer() -> None:
        g.yokoten_started = time.perf_counter()

    # Registered before the other after_request hooks, so it runs last: after the commit.
    @app.after_request
    def log_request(response: Response) -> Response:
        # The request and g once, not through their proxies at every field (a dozen look-ups a request).
        req, values = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
        started = values.get("yokoten_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        rule = req.url_rule.rule if req.url_rule is not None else None
        method, path = req.method, req.path
        fields: dict[str, Any] = {
            "method": method, "route": rule, "path": path, "status": response.status_code,
            "duration_ms": duration_ms, "statements": values.get("yokoten_statements", 0),
            "bytes": response.calculate_content_length(), "remote_addr": req.remote_addr,
        }
        query = query_for_log(req.endpoint)
        if query is None:
            fields["query_dropped"] = True
        elif query:
            fields["query"] = query
        access.info("%s %s %s", method, path, response.status_code, extra={"access": fields})
        from portal import metrics

        metrics.observe_request(method, rule, response.status_code, duration_ms)
        return response
