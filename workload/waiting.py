""""Waiting for you" of workload surveys: the departments whose hours a person was named to enter.

A department's contact (named by the municipality's admin) sees, until the department submits, the
count of such departments in open rounds, with the oldest round's opening date; the link leads to the
survey list, which shows them first.
"""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import func, select

from kernel.extensions import db
from kernel.i18n import service_gettext as _
from kernel.waiting import VIEWER_ID, VIEWER_TENANT, WaitingCount, register_waiting
from workload import access
from workload.models import Department, Round


def _pending(tenant_id: Any, user_id: Any, *columns: Any) -> Any:
    return (select(*columns).select_from(Department)
            .join(Round, (Round.tenant_id == Department.tenant_id) & (Round.id == Department.round_id))
            .where(Department.tenant_id == tenant_id, Department.contact_user_id == user_id,
                   Department.submitted_at.is_(None), Round.status == "open"))


# The count, built once (kernel/waiting.py).
_DEPARTMENTS_DUE = _pending(VIEWER_TENANT, VIEWER_ID, func.count(), func.min(Round.opened_at))


@register_waiting(fixed=True)
def workload_waiting(user: Any) -> list[WaitingCount]:
    if not access.can_enter(user):
        return []
    return [WaitingCount("workload.departments_due", _("Departments whose hours you were asked to enter"),
                         url_for("workload.index") + "#waiting", _DEPARTMENTS_DUE)]


def waiting_departments(user: Any) -> list[tuple[Department, Round]]:
    """The departments behind the "waiting for you" item, oldest round first."""
    if not access.can_enter(user):
        return []
    rows = db.session.execute(_pending(user.tenant_id, user.id, Department, Round)
                              .order_by(Round.opened_at, Department.id))
    return [(row[0], row[1]) for row in rows]
