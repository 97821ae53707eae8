""""Waiting for you" and the daily reminders of the community domain (kernel/waiting.py, kernel/reminders.py).

- Follow-up actions the person answers for (named to them, or their municipality's when they manage
  it); the item is dated by the earliest due date, so an overdue action shows its age.
- The secretariat: proposed amendments to decide.
- A municipality's administrators: departments without a DX推進員 and terms ending without successor.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import DateTime, cast, func, or_, select

from community import access
from community.models import Action, Amendment
from community.models.actions import OPEN_STATUSES
from kernel.reminders import register_reminders
from kernel.waiting import VIEWER_ID, VIEWER_TENANT, WaitingCount, WaitingItem, register_waiting


def _actions(*answering: Any) -> Any:
    # Dated by the earliest due day, as midnight UTC of that day (whatever the session's time zone).
    first_due = func.timezone("UTC", cast(func.min(Action.due_on), DateTime()))
    return select(func.count(), first_due).where(Action.owner_tenant == VIEWER_TENANT,
                                                 Action.status.in_(OPEN_STATUSES), or_(*answering))


# Each count built once (kernel/waiting.py): the actions named to the person, and for those who manage their
# municipality's, also its actions named to nobody.
_MY_ACTIONS = _actions(Action.owner_user_id == VIEWER_ID)
_OUR_ACTIONS = _actions(Action.owner_user_id == VIEWER_ID, Action.owner_user_id.is_(None))
_AMENDMENTS = select(func.count(), func.min(Amendment.created_at)).where(Amendment.status == "open")


# Counted in the dashboard's statement, the same for everyone of a municipality and roles: kept per worker.
@register_waiting(fixed=True)
def community_waiting(user: Any) -> list[WaitingCount]:
    items: list[WaitingCount] = []
    if access.can_participate(user) or access.can_manage_own(user):
        items.append(WaitingCount("community.actions", _("Follow-up actions of the CIO forum for you"),
                                  url_for("community.index") + "#waiting",
                                  _OUR_ACTIONS if access.can_manage_own(user) else _MY_ACTIONS))
    if access.is_organiser(user):
        items.append(WaitingCount("community.amendments", _("Proposed amendments to minutes to decide"),
                                  url_for("community.index"), _AMENDMENTS))
    return items


# The roster's vacancies are found in Python (terms and hand-overs, as of today): asked at every view.
@register_waiting
def community_vacancies(user: Any) -> list[WaitingItem]:
    if not access.can_manage_own(user):
        return []
    from community.services.talent import vacancy_count
    from kernel.i18n import today_tokyo

    count = vacancy_count(user.tenant_id, today_tokyo())
    if not count:
        return []
    return [WaitingItem("community.vacancies", _("DX promoter posts to fill"), count, url_for("community.roster"))]


@register_reminders
def community_reminders(today: date) -> int:
    """Tomorrow's meetings (once per meeting) and promoter vacancies (once per day per municipality)."""
    from community.services.meetings import send_meeting_reminders
    from community.services.talent import send_vacancy_reminders

    return send_meeting_reminders() + send_vacancy_reminders(today)
