"""Prometheus metrics at /metrics, for operators only.

Under gunicorn every worker is its own process: prometheus-client's multiprocess mode keeps each
process's values in files under ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py creates a fresh one
per start and marks dead workers), and /metrics sums them, so a scrape sees the whole server
whichever worker answers. Without the variable (``flask run``, tests) the values are this process's.

Access: a ``Authorization: Bearer <METRICS_TOKEN>`` header (Prometheus' ``authorization`` setting),
or a logged-in operator's session. Everyone else gets 404, so the endpoint is not advertised.
"""
from __future__ import annotations

import hmac
import logging
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

bp = Blueprint("metrics", __name__)

REQUESTS = Counter("yokoten_http_requests_total", "Requests answered, by method, route (URL rule) and status",
                   ["method", "route", "status"])
LATENCY = Histogram("yokoten_http_request_duration_seconds", "Time to answer a request, by route", ["route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
POOL = Gauge("yokoten_db_pool_connections", "Database connections of the app's pools (checked_out, idle)",
             ["state"], multiprocess_mode="livesum")
LOGIN_FAILURES = Counter("yokoten_login_failures_total",
                         "Refused logins and API tokens (audit action auth.*_refused / auth.sso_failed)", ["kind"])
LOG_RECORDS = Counter("yokoten_log_records_total", "Log records at WARNING and above, by level and logger "
                      "(e.g. outbox mails not sent: kernel.notifications.outbox)",
                      ["level", "logger"])

_LOGIN_FAILURE_ACTIONS = {"auth.login_refused": "login", "auth.sso_failed": "sso", "auth.token_refused": "api_token",
                          "auth.refused_inactive": "inactive_account"}


def observe_request(method: str, route: str | None, status: int, duration_ms: float | None) -> None:
    """Count one answered request (called by the access log, after the commit)."""
    label = route or "<unmatched>"  # 404s of arbitrary paths must not create a series each
    REQUESTS.labels(method, label, str(status)).inc()
    if duration_ms is not None:
        LATENCY.labels(label).observe(duration_ms / 1000)


class _CountWarnings(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        LOG_RECORDS.labels(record.levelname, record.name).inc()


def install(app: Flask) -> None:
    """The /metrics blueprint and the hooks that feed pool usage and login failures."""
    app.register_blueprint(bp)
    root = logging.getLogger()
    if not any(isinstance(h, _CountWarnings) for h in root.handlers):
        handler = _CountWarnings(level=logging.WARNING)
        root.addHandler(handler)

    # Runs before the commit hook (registered later), while g still holds the pending audit entries.
    @app.after_request
    def count_login_failures(response: Response) -> Response:
        for item in g.get("audit_always", []):
            kind = _LOGIN_FAILURE_ACTIONS.get(item.get("action", ""))
            if kind:
                LOGIN_FAILURES.labels(kind).inc()
        _observe_pool()
        return response


# The pool gauges are sampled at most once a second per process: a scrape every 15 s or more reads a value at
# most a second old, and reading every engine's pool cost some 40 function calls on every request (issue 25.5).
POOL_SAMPLE_SECONDS = 1.0
_pool_sampled = [float("-inf")]


def _observe_pool() -> None:
    now = time.monotonic()
    if now - _pool_sampled[0] < POOL_SAMPLE_SECONDS:
        return
    _pool_sampled[0] = now
    from kernel.extensions import db

    checked_out = idle = 0
    for engine in db.engines.values():
        pool = getattr(getattr(engine, "engine", engine), "pool", None)
        if pool is not None and hasattr(pool, "checkedout"):
            checked_out += pool.checkedout()
            idle += pool.checkedin()
    POOL.labels("checked_out").set(checked_out)
    POOL.labels("idle").set(idle)


def _allowed() -> bool:
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].encode(), token.encode()):
        return True
    if offered:
        return False  # a wrong bearer token is not an invitation to try the session
    from flask_login import current_user

    from tenants.roles import Permission

    return bool(current_user.is_authenticated and current_user.can(Permission.OPS_VIEW))


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    if not _allowed():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
