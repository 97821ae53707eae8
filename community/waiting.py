""""Waiting for you" and the daily reminders of the community domain (kernel/waiting.py, kernel/reminders.py).

- Follow-up actions the person answers for (named to them, or their municipality's when they manage
  it); the item is dated by the earliest due date, so an overdue action shows its age.
- The secretariat: proposed amendments to decide.
- A municipality's administrators: departments without a DX推進員 and terms ending without successor.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from community import access
from community.models import Action, Amendment
from community.models.actions import OPEN_STATUSES
from kernel.extensions import db
from kernel.reminders import register_reminders
from kernel.waiting import WaitingItem, register_waiting


def _at(day: Any) -> Any:
    return datetime.combine(day, time(0), tzinfo=UTC) if isinstance(day, date) else None


@register_waiting
def community_waiting(user: Any) -> list[WaitingItem]:
    items: list[WaitingItem] = []
    if access.can_participate(user) or access.can_manage_own(user):
        mine = Action.owner_user_id == user.id
        if access.can_manage_own(user):
            mine = or_(mine, Action.owner_user_id.is_(None))
        count, first_due = db.session.execute(select(func.count(), func.min(Action.due_on)).where(
            Action.owner_tenant == user.tenant_id, Action.status.in_(OPEN_STATUSES), mine)).one()
        items.append(WaitingItem("community.actions", _("Follow-up actions of the CIO forum for you"), int(count or 0),
                                 url_for("community.index") + "#waiting", _at(first_due)))
    if access.can_manage_own(user):
        from community.services.talent import vacancies
        from kernel.i18n import today_tokyo

        empty, ending = vacancies(user.tenant_id, today_tokyo())
        items.append(WaitingItem("community.vacancies", _("DX promoter posts to fill"), len(empty) + len(ending),
                                 url_for("community.roster")))
    if access.is_organiser(user):
        count, oldest = db.session.execute(select(func.count(), func.min(Amendment.created_at)).where(
            Amendment.status == "open")).one()
        items.append(WaitingItem("community.amendments", _("Proposed amendments to minutes to decide"),
                                 int(count or 0), url_for("community.index"), oldest))
    return [item for item in items if item.count]


@register_reminders
def community_reminders(today: date) -> int:
    """Tomorrow's meetings (once per meeting) and promoter vacancies (once per day per municipality)."""
    from community.services.meetings import send_meeting_reminders
    from community.services.talent import send_vacancy_reminders

    return send_meeting_reminders() + send_vacancy_reminders(today)
