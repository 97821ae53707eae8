"""Read side of the audit log for the tenant admin page and its Excel export: the entries in words.

A tenant admin (and TMG's admins and operators, for TMG) sees only their own tenant's entries: the query
filters by the viewer's tenant and RLS allows no other. Who acted is named (the person's name, read with
the entries in one statement), the action by its label (``tenants.audit_labels``), the object by its title
(``kernel.audit.resolve_objects``) and the values as before → after.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import aliased

from kernel.audit import AuditEntry, ObjectQuery, object_rows, register_object_resolver, resolve_objects
from kernel.extensions import db
from kernel.i18n import TOKYO
from tenants.audit_labels import action_label, describe_changes
from tenants.models import User
from tenants.roles import Permission

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 10_000


@dataclass
class AuditFilter:
    action: Optional[str] = None
    person: Optional[str] = None  # part of a name or e-mail address (spaces ignored): by or about them
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    outcome: Optional[str] = None
    page: int = 1


@dataclass
class AuditRow:
    """One entry as people read it."""

    entry: AuditEntry
    who: Optional[str]
    action: str
    object_title: Optional[str] = None
    object_url: Optional[str] = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _squeeze(expression: Any) -> Any:
    """Without ASCII and ideographic spaces: 「佐藤一郎」 finds 「佐藤 一郎」."""
    return func.replace(func.replace(expression, " ", ""), "\u3000", "")


def _query(tenant_id: str, flt: AuditFilter) -> Any:
    query = (select(AuditEntry, User.display_name)
             .outerjoin(User, and_(User.tenant_id == AuditEntry.tenant_id, User.id == AuditEntry.user_id))
             .where(AuditEntry.tenant_id == tenant_id))
    if flt.action:
        query = query.where(AuditEntry.action == flt.action)
    if flt.person and flt.person.strip():
        # Entries by the person and entries about them (their invitation, roles, deactivation).
        needle = "".join(flt.person.split()).lower()
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        who = aliased(User)  # not the joined actor: a subquery of its own, never correlated with it
        named = func.lower(_squeeze(who.display_name)).like(pattern, escape="\\")
        matches = and_(who.tenant_id == tenant_id, or_(named, who.email.like(pattern, escape="\\")))
        query = query.where(or_(
            AuditEntry.user_id.in_(select(who.id).where(matches)),
            and_(AuditEntry.object_type == "user",
                 AuditEntry.object_id.in_(select(cast(who.id, String)).where(matches)))))
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
    return query


def _rows(viewer: Any, found: list[Any]) -> list[AuditRow]:
    objects = resolve_objects(viewer, [(entry.object_type, entry.object_id) for entry, _name in found])
    rows = []
    for entry, name in found:
        title, url = objects.get((entry.object_type or "", entry.object_id or ""), (None, None))
        rows.append(AuditRow(entry, name, action_label(entry.action), title, url,
                             describe_changes(entry.before, entry.after)))
    return rows


def search_audit(viewer: Any, flt: AuditFilter) -> tuple[list[AuditRow], int]:
    """One page of the viewer's tenant's audit entries in words, newest first, and the total count."""
    query = _query(viewer.tenant_id, flt)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = db.session.execute(query.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
                               .limit(PAGE_SIZE).offset((max(flt.page, 1) - 1) * PAGE_SIZE)).all()
    return _rows(viewer, list(found)), int(total)


def export_audit(viewer: Any, flt: AuditFilter) -> tuple[list[AuditRow], bool]:
    """Every entry the filter finds (newest first, at most MAX_EXPORT_ROWS) and whether more were left out."""
    found = db.session.execute(_query(viewer.tenant_id, flt)
                               .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
                               .limit(MAX_EXPORT_ROWS + 1)).all()
    return _rows(viewer, list(found[:MAX_EXPORT_ROWS])), len(found) > MAX_EXPORT_ROWS


def _users(viewer: Any, numbers: list[int]) -> Any:
    """The people of the viewer's own municipality named in the log; linked for those who manage users."""
    link = viewer.can(Permission.TENANT_MANAGE_USERS)
    return ObjectQuery(object_rows(User.id, User.display_name).where(User.tenant_id == viewer.tenant_id,
                                                                     User.id.in_(numbers)),
                       lambda row: (row.title, f"/admin/users/{row.object_id}" if link else None))


register_object_resolver("user", _users, numeric=True)
