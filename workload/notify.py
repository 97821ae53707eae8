"""Notifications of the workload domain, through the portal's existing in-app + e-mail mechanism.

The mechanism lives in the casebook today; the kernel's notifications (being built) replace it.
This is the one place that knows where it lives, so the switch is a one-line change.
"""
from __future__ import annotations


def notify_users(tenant_id: str, user_ids: list[int], message: str, url: str) -> None:
    """In-app notification (and e-mail when SMTP is configured) for users of one tenant."""
    from casebook.community import _notify_users  # the existing mechanism until kernel/notifications lands

    _notify_users(tenant_id, sorted(set(user_ids)), message, url)
