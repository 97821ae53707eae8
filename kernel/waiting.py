""""Waiting for you": what each person has to do next, contributed by every domain.

A domain registers a provider ``function(user) -> list[WaitingItem]`` at import; the dashboard
shows each item with its count, a link to the list filtered to exactly those items and the age of
the oldest one. A provider returns only non-empty items and must answer with one or two indexed
queries (the dashboard calls every provider on every visit)::

    from kernel.waiting import WaitingItem, register_waiting

    @register_waiting
    def approvals(user):
        if not user.can(Permission.CASES_APPROVE):
            return []
        count, oldest = ...
        return [WaitingItem("casebook.approvals", _("Cases waiting for your approval"), count,
                            url_for("casebook.cases_index", state="proposed"), oldest)] if count else []
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Optional


@dataclass(frozen=True)
class WaitingItem:
    key: str  # stable id, e.g. "casebook.approvals" (tests and data-testid use it)
    label: str
    count: int
    url: str
    oldest: Optional[datetime] = None  # when the oldest waiting item started waiting

    def age_days(self, now: Optional[datetime] = None) -> Optional[int]:
        if self.oldest is None:
            return None
        return max(((now or datetime.now(UTC)) - self.oldest).days, 0)


WaitingProvider = Callable[[Any], list[WaitingItem]]
_providers: list[WaitingProvider] = []


def register_waiting(provider: WaitingProvider) -> WaitingProvider:
    """Decorator: add a function(user) -> [WaitingItem] to "waiting for you"."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def waiting_for(user: Any) -> list[WaitingItem]:
    """Everything waiting for the person, oldest first (items without a date last)."""
    items = [item for provider in _providers for item in provider(user) if item.count > 0]
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda item: (item.oldest or far_future, item.key))
