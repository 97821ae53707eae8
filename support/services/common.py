"""Helpers shared by the support services: the actor's name, version checks, form tokens."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Optional

from kernel.errors import ServiceError
from kernel.i18n import service_gettext as _
from support.models import Engagement


class StaleVersion(ServiceError):
    """Someone changed the engagement since the page was loaded (answered 409, nothing written)."""

    def __init__(self) -> None:
        super().__init__(_("Someone else changed this engagement in the meantime. Reload the page and try again."))


def now() -> datetime:
    return datetime.now(UTC)


def actor_name(actor: Any) -> str:
    """The actor as the other side sees them: name and organisation (copied, never joined)."""
    return f"{actor.display_name}（{actor.tenant.name_ja}）"[:200]


def check_version(engagement: Engagement, expected: Optional[int]) -> None:
    if expected is None or expected != engagement.version:
        raise StaleVersion()


def bump(engagement: Engagement) -> None:
    engagement.version += 1
    engagement.updated_at = now()


def clean_token(token: Any) -> Optional[str]:
    """A form's one-time token (guards against double submits), or None when absent or malformed."""
    if not isinstance(token, str):
        return None
    token = token.strip()
    return token if 8 <= len(token) <= 40 and token.replace("-", "").isalnum() else None


def text(value: Any, limit: int, field: str, *, required: bool = False) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if required and not value:
        raise ServiceError(_("This field is required."), field)
    if len(value) > limit:
        raise ServiceError(_("At most %(n)s characters.", n=f"{limit:,}"), field)
    return value
