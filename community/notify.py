"""Notifications of the community domain, through the portal's existing mechanism.

Until the working-day kernel's notifications land, this one adapter writes the casebook's in-app
``Notification`` rows (under the recipient's tenant) and sends the e-mail; everything else in the
domain calls only these functions, so switching is a change to this file alone.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from tenants.models import Membership, User
from tenants.roles import Role


def _as_tenant(tenant_id: str):  # type: ignore[no-untyped-def]
    from casebook.services import as_tenant

    return as_tenant(tenant_id)


def notify_users(tenant_id: str, user_ids: Iterable[int], message: str, url: str) -> None:
    """In-app notification (and e-mail when SMTP is configured) to given users of one tenant."""
    from casebook.community import _notify_users

    ids = sorted(set(user_ids))
    if ids:
        _notify_users(tenant_id, ids, message, url)


def admin_ids(tenant_id: str) -> list[int]:
    """The active tenant admins of a municipality (read under its binding, restored afterwards)."""
    with _as_tenant(tenant_id):
        return list(db.session.scalars(
            select(User.id).join(Membership, (Membership.tenant_id == User.tenant_id)
                                 & (Membership.user_id == User.id))
            .where(User.tenant_id == tenant_id, User.is_active.is_(True), Membership.role == Role.TENANT_ADMIN.value)))


def notify_admins(tenant_id: str, message: str, url: str) -> None:
    """Tell a municipality's administrators (its CIO office)."""
    notify_users(tenant_id, admin_ids(tenant_id), message, url)


def page_url(endpoint: str, **values: Any) -> str:
    """The path of a page for a notification, also outside a request (CLI reminders, demo data)."""
    from flask import current_app, has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)
