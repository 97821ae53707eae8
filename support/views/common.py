"""Loading and refusal helpers shared by the support pages."""
from __future__ import annotations

from flask import abort
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




def status_of(error: ServiceError) -> int:
    return 409 if isinstance(error, StaleVersion) else 400
