"""Leavers nobody told the portal about (issue 23, point 2): a person not seen at their municipality's
identity provider — no login through it — for ``inactivity_days`` (a setting of the municipality's
provider, default 90, 0 = off) is deactivated by the daily job, their sessions end, and the
municipality's administrators are told.

"Seen" is the last login (``users.last_login_at``; the account's creation when it never logged in).
Only accounts linked to an identity (issuer + subject) count: an invited account that has never
logged in is not "not seen at the IdP". An account an administrator reactivated within the period is
left alone until the period has passed again since the reactivation (its ``user.activate`` audit
entry), so a reactivated person gets the time to log in.

The daily ``flask notifications remind`` runs it (``kernel.reminders``); ``flask sso
deactivate-inactive`` runs it alone (``--dry-run`` lists who would be deactivated).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Optional

from sqlalchemy import String, cast, func, select, update

from kernel import audit
from kernel.extensions import db
from kernel.reminders import register_reminders
from tenants.context import as_tenant
from tenants.models import AuthSession, Tenant, User
from tenants.sso.models import SsoProvider

DEFAULT_INACTIVITY_DAYS = 90
MAX_INACTIVITY_DAYS = 3650
NAMES_IN_NOTICE = 10


@dataclass(frozen=True)
class Inactive:
    user_id: int
    email: str
    name: str
    last_seen: datetime


def inactive_users(tenant_code: str, now: datetime) -> list[Inactive]:
    """Active accounts of the (bound) tenant not seen at its provider for its ``inactivity_days``."""
    provider = db.session.get(SsoProvider, tenant_code)
    if provider is None or provider.inactivity_days <= 0:
        return []
    cutoff = now - timedelta(days=provider.inactivity_days)
    seen = func.coalesce(User.last_login_at, User.created_at)
    reactivated = select(audit.AuditEntry.object_id).where(
        audit.AuditEntry.tenant_id == tenant_code, audit.AuditEntry.action == "user.activate",
        audit.AuditEntry.object_type == "user", audit.AuditEntry.occurred_at >= cutoff)
    rows = db.session.execute(
        select(User.id, User.email, User.display_name, seen)
        .where(User.tenant_id == tenant_code, User.is_active.is_(True), User.subject.is_not(None), seen < cutoff,
               cast(User.id, String).not_in(reactivated))
        .order_by(User.id)).all()
    return [Inactive(r[0], r[1], r[2], r[3]) for r in rows]


def deactivate_inactive(tenant_code: str, now: Optional[datetime] = None) -> list[Inactive]:
    """Deactivate the tenant's inactive accounts (the caller has bound the tenant), end their sessions,
    audit each one and tell the tenant admins once; returns who was deactivated."""
    now = now or datetime.now(UTC)
    found = inactive_users(tenant_code, now)
    if not found:
        return []
    provider = db.session.get(SsoProvider, tenant_code)
    days = provider.inactivity_days if provider is not None else DEFAULT_INACTIVITY_DAYS
    ids = [i.user_id for i in found]
    db.session.execute(update(User).where(User.tenant_id == tenant_code, User.id.in_(ids))
                       .values(is_active=False).execution_options(synchronize_session="fetch"))
    # Their sessions end now (the loader refuses an inactive account anyway; this also drops the ID
    # tokens kept as logout hints).
    db.session.execute(update(AuthSession).where(AuthSession.tenant_id == tenant_code, AuthSession.user_id.in_(ids),
                                                 AuthSession.ended_at.is_(None))
                       .values(ended_at=now, id_token_hint=None).execution_options(synchronize_session=False))
    db.session.flush()
    for person in found:
        audit.record("user.deactivate", "user", person.user_id, before={"is_active": True},
                     after={"is_active": False, "reason": "inactive", "days": days,
                            "last_seen": person.last_seen.isoformat()}, tenant_id=tenant_code)
    from kernel.notifications import notify

    names = ", ".join(p.name or p.email for p in found[:NAMES_IN_NOTICE])
    if len(found) > NAMES_IN_NOTICE:
        names += " …"
    notify("tenants.inactive_deactivated", url="/admin/users", tenant_id=tenant_code, count=len(found),
           days=days, names=names)
    return found


def tenants_with_provider() -> list[str]:
    codes = []
    for code in db.session.scalars(select(Tenant.code).where(Tenant.is_active.is_(True)).order_by(Tenant.code)):
        with as_tenant(code):
            if db.session.get(SsoProvider, code) is not None:
                codes.append(code)
    return codes


@register_reminders
def deactivate_inactive_everywhere(today: date) -> int:
    """The daily job (``flask notifications remind``): every municipality in turn; returns how many
    accounts were deactivated."""
    count = 0
    for code in tenants_with_provider():
        with as_tenant(code):
            count += len(deactivate_inactive(code))
    return count
