"""Loading and refusal helpers shared by the support pages."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from kernel.errors import ServiceError
from support import access, queries
from support.models import Engagement
from support.services.common import StaleVersion
from tenants.auth import not_found_or_denied


def load(engagement_id: int) -> Engagement:
    """The engagement, or 404 (audited) when it does not exist or the caller may not see it."""
    engagement = queries.get_engagement(engagement_id)
    if engagement is None or not access.can_see(current_user, engagement):
        not_found_or_denied("support_engagement", engagement_id)
    assert engagement is not None
    return engagement


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def refused(error: ServiceError, engagement: Engagement, anchor: str = "") -> Any:
    """A service's refusal on a button: flash it and go back to the engagement (409 for a stale page)."""
    flash(error.message, "error")
    return redirect(url_for("support.detail", engagement_id=engagement.id) + anchor, 303)


def field_error(form: Any, error: ServiceError) -> None:
    """Put a ServiceError next to its field (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


def status_of(error: ServiceError) -> int:
    return 409 if isinstance(error, StaleVersion) else 400
