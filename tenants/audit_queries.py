"""Read side of the audit log for the tenant admin page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.extensions import db
from kernel.i18n import TOKYO

PAGE_SIZE = 50


@dataclass
class AuditFilter:
    action: Optional[str] = None
    user_id: Optional[int] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    outcome: Optional[str] = None
    page: int = 1


def search_audit(tenant_id: str, flt: AuditFilter) -> tuple[list[AuditEntry], int]:
    """One page of the tenant's audit entries, newest first, and the total count."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if flt.action:
        query = query.where(AuditEntry.action.startswith(flt.action.strip(), autoescape=True))
    if flt.user_id:
        query = query.where(AuditEntry.user_id == flt.user_id)
    if flt.date_from:
        query = query.where(AuditEntry.occurred_at >= datetime.combine(flt.date_from, time.min, TOKYO))
    if flt.date_to:
        query = query.where(AuditEntry.occurred_at < datetime.combine(flt.date_to + timedelta(days=1), time.min, TOKYO))
    if flt.outcome == "access":
        query = query.where(AuditEntry.action.startswith("access."))
    elif flt.outcome == "auth":
        query = query.where(AuditEntry.action.startswith("auth."))
    elif flt.outcome == "write":
        query = query.where(~AuditEntry.action.startswith("access."), ~AuditEntry.action.startswith("auth."))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE).offset((max(flt.page, 1) - 1) * PAGE_SIZE)
    )
    return list(rows), total
