"""Log records carry the request id and the tenant code."""
from __future__ import annotations

import logging

from flask import Flask, g, has_app_context


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        in_app = has_app_context()
        record.request_id = g.get("request_id", "-") if in_app else "-"
        record.tenant = (g.get("tenant_id") or "-") if in_app else "-"
        return True


FORMAT = "%(asctime)s %(levelname)s [req=%(request_id)s tenant=%(tenant)s] %(name)s: %(message)s"


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestContextFilter())
    app.logger.handlers = [handler]
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = False
