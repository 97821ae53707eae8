"""Notifications of the workload domain, through the kernel's notifications (docs/notifications.md).

This is the one place that knows the event kinds of the workload domain and registers them.
"""
from __future__ import annotations

from typing import Any

from kernel.notifications import N_, notify, people_in_param, register_event

register_event("workload.submission_reminder", people_in_param("to"),
               N_("Workload survey %(year)s: please enter and submit your department's hours."),
               catalogue="workload", waiting=True)


def notify_users(tenant_id: str, user_ids: list[int], url: str, **params: Any) -> None:
    """Remind department contacts of one tenant (in the app, and by mail after the commit)."""
    notify("workload.submission_reminder", url=url, to=[(tenant_id, uid) for uid in sorted(set(user_ids))], **params)
