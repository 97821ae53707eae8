"""Deadline reminders: each domain registers a provider that notifies about deadlines coming up.

``flask notifications remind`` (cron, once a day) calls every provider with today's date in Tokyo.
A provider decides which deadlines are N days away — N configurable per procurement project or award
programme (its ``reminder_days``) — and calls ``notify``; it must be idempotent for the day (a
re-run on the same day must not remind twice), e.g. by remembering the day it last reminded.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

ReminderProvider = Callable[[date], int]
_providers: list[ReminderProvider] = []
TOKYO = ZoneInfo("Asia/Tokyo")


def register_reminders(provider: ReminderProvider) -> ReminderProvider:
    """Decorator: add a function(today) -> number of people told."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def run_reminders(today: date | None = None) -> int:
    today = today or datetime.now(TOKYO).date()
    return sum(provider(today) for provider in _providers)
