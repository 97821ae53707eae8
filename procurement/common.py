"""What the procurement services share: limits, the clock, the refusal errors."""
from __future__ import annotations

from datetime import UTC, datetime

from kernel.errors import ServiceError
from kernel.i18n import service_gettext as _

MAX_QUANTITY = 10_000_000
MAX_YEN = 10**13


class Conflict(ServiceError):
    """The object changed (or its deadline passed) since the form was loaded: answer 409."""


def now() -> datetime:
    """The current time (tests replace it to move across a deadline)."""
    return datetime.now(UTC)


def denied() -> ServiceError:
    return ServiceError(_("You are not allowed to do this."))
