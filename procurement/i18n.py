"""Messages of the procurement services in the user's language.

Message ids are English (like every catalogue of the portal); the Japanese is in
``procurement/translations``. Outside a request (CLI, demo data, direct service calls in tests) the
message is Japanese, the portal's first language.
"""
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


def N_(text: str) -> str:  # noqa: N802 - the conventional name of a gettext no-op marker
    """Mark a message for extraction without translating it here (pure modules)."""
    return text
