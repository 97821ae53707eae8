"""Small helpers around the kernel's notifications for the community services."""
from __future__ import annotations

from typing import Any


def page_url(endpoint: str, **values: Any) -> str:
    """The path of a page for a notification, also outside a request (reminders from cron, demo data)."""
    from flask import current_app, has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)
