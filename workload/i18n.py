"""Messages of the workload services in the user's language (Japanese outside a request)."""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import force_locale, gettext


def _(text: str, **variables: Any) -> str:
    """Translate now, in the request's language (Japanese when there is no request)."""
    if has_request_context():
        return str(gettext(text, **variables))
    with force_locale("ja"):
        return str(gettext(text, **variables))
