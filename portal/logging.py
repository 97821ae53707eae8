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

from flask import Flask, Request, Response
from flask.globals import _cv_app, _cv_request
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
        # The app context's ``g`` read directly, not through the has_app_context/g proxies (every record,
        # and the access line of every request, passes here).
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            record.request_id = record.tenant = record.user_id = None
        else:
            values = app_ctx.g.__dict__
            record.request_id = values.get("request_id")
            record.tenant = values.get("tenant_id")
            record.user_id = _user_id(values)
        return True


def _user_id(values: dict[str, Any]) -> int | None:
    # Flask-Login keeps the loaded user in g._login_user (``values``: the app context's g); reading
    # current_user here would query the database for a request that never needed the user (/healthz,
    # static files). The id comes from the ORM identity, never from an attribute: after the request's
    # commit the object is expired and reading an attribute would reload it (a transaction and a
    # statement more per request).
    user = values.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    identity = getattr(state, "identity", None)
    return identity[-1] if identity else None


# json.dumps(entry, ensure_ascii=False, default=str) without building an encoder for every line.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the fields of RequestContextFilter and an access record's ``access``."""

    def format(self, record: logging.LogRecord) -> str:
        access = getattr(record, "access", None)
        entry = _entry(record.created, record.levelname, record.name, record.getMessage(),
                       getattr(record, "request_id", None), getattr(record, "tenant", None),
                       getattr(record, "user_id", None), access if isinstance(access, dict) else None)
        if record.exc_info:
            entry["exception"] = mask_emails(self.formatException(record.exc_info))
        return _JSON.encode(entry)


def _entry(created: float, level: str, logger: str, message: str, request_id: Any, tenant: Any, user_id: Any,
           access: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger,
        "message": mask_emails(message) if "@" in message else message,
        "request_id": request_id,
        "tenant": tenant,
        "user_id": user_id,
    }
    if access is not None:
        entry.update(access)
    return entry


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
    if _cv_request.get(None) is not None:  # in a request: its g, read without the proxies
        values = _cv_app.get().g.__dict__
        values["yokoten_statements"] = values.get("yokoten_statements", 0) + 1


def query_for_log(endpoint: str | None, request: Request) -> dict[str, str] | None:
    """The request's query parameters as they may be logged (None: dropped for this route)."""
    if not request.args:
        return {}
    if endpoint and _SENSITIVE_ENDPOINT.search(endpoint):
        return None
    return {key: ("[dropped]" if key.lower() in SENSITIVE_PARAMS else value[:_MAX_VALUE])
            for key, value in request.args.items()}


def _json_handlers(logger: logging.Logger) -> list[logging.Handler] | None:
    """The handlers an INFO record of ``logger`` reaches, when every one of them is a ``json_handler`` (a stream,
    the JSON formatter and the request filter, nothing else); None otherwise, and when it reaches none."""
    if logger.filters or not logger.isEnabledFor(logging.INFO):
        return None
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if handler.level > logging.INFO:
                continue
            if type(handler) is not logging.StreamHandler or type(handler.formatter) is not JsonFormatter \
                    or len(handler.filters) != 1 or type(handler.filters[0]) is not RequestContextFilter:
                return None
            found.append(handler)
        current = current.parent if current.propagate else None
    return found or None


def _write_access(access: logging.Logger, method: str, path: str, status: int, fields: dict[str, Any],
                  values: dict[str, Any]) -> None:
    """The access line of a request, written as ``access.info("%s %s %s", method, path, status,
    extra={"access": fields})`` would write it.

    Where every handler the record would reach is a ``json_handler`` (as configured: the root logger's), the
    line is made once and written to their streams, without the LogRecord, the filter and the formatter's
    generic steps that logging spends on it: the same JSON, at about half the cost of the line on every
    request (issue 25.5). Any other set-up (another handler, a filter, a level) gets the record through
    logging as before.
    """
    handlers = _json_handlers(access)
    if handlers is None:
        access.info("%s %s %s", method, path, status, extra={"access": fields})
        return
    line = _JSON.encode(_entry(time.time(), "INFO", access.name, f"{method} {path} {status}",
                               values.get("request_id"), values.get("tenant_id"), _user_id(values), fields))
    for handler in handlers:
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)  # type: ignore[attr-defined]
            handler.flush()
        except Exception:  # noqa: BLE001 - as StreamHandler.emit: reported by the handler, never raised
            handler.handleError(access.makeRecord(access.name, logging.INFO, "", 0, "%s %s %s",
                                                  (method, path, status), None, extra={"access": fields}))
        finally:
            handler.release()


def _register_access_log(app: Flask) -> None:
    from portal import metrics

    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def start_timer() -> None:
        _cv_app.get().g.yokoten_started = time.perf_counter()

    # Registered before the other after_request hooks, so it runs last: after the commit.
    @app.after_request
    def log_request(response: Response) -> Response:
        # The request and g once, from their context variables, not through their proxies at every field.
        req, values = _cv_request.get().request, _cv_app.get().g
        started = values.get("yokoten_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        rule = req.url_rule.rule if req.url_rule is not None else None
        method, path = req.method, req.path
        fields: dict[str, Any] = {
            "method": method, "route": rule, "path": path, "status": response.status_code,
            "duration_ms": duration_ms, "statements": values.get("yokoten_statements", 0),
            "bytes": response.calculate_content_length(), "remote_addr": req.remote_addr,
        }
        query = query_for_log(req.endpoint, req)
        if query is None:
            fields["query_dropped"] = True
        elif query:
            fields["query"] = query
        _write_access(access, method, path, response.status_code, fields, values.__dict__)
        metrics.observe_request(method, rule, response.status_code, duration_ms)
        return response
