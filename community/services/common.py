"""Small helpers shared by the community services."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _

from kernel.errors import ServiceError


def utcnow() -> datetime:
    return datetime.now(UTC)


def clean(text: Any, limit: int, field: str, required: bool = True) -> str:
    """Trimmed text of at most ``limit`` characters; an empty required value is refused."""
    value = (text or "").strip() if isinstance(text, str) or text is None else None
    if value is None:
        raise ServiceError(_("The value is not valid."), field)
    if required and not value:
        raise ServiceError(_("This field is required."), field)
    if len(value) > limit:
        raise ServiceError(_("Enter at most %(n)d characters.", n=limit), field)
    return value


def denied() -> ServiceError:
    return ServiceError(_("You are not allowed to do this."))


class StaleError(ServiceError):
    """The form was older than the object: the page answers 409 and keeps what the user typed."""


def stale() -> StaleError:
    return StaleError(_("Someone else changed this in the meantime. Reload the page and apply your changes "
                          "again."))
