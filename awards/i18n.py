"""gettext for services: the user's language in a request, Japanese (the default) in CLI and tests."""
from __future__ import annotations

from typing import Any

from flask import has_app_context, has_request_context
from flask_babel import force_locale, gettext


def _(message: str, **variables: Any) -> str:
    if has_request_context() or not has_app_context():
        return gettext(message, **variables) if has_app_context() else message % variables if variables else message
    with force_locale("ja"):
        return gettext(message, **variables)
