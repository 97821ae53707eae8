""""Waiting for you" items of the support domain: requests to approve, requests to triage, surveys to answer."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from kernel.extensions import db
from kernel.waiting import WaitingItem, register_waiting
from support import access
from support.models import Engagement, Survey


def _count_and_oldest(query: Any) -> tuple[int, Optional[datetime]]:
    row = db.session.execute(query).one()
    return int(row[0] or 0), row[1]


@register_waiting
def support_waiting(user: Any) -> list[WaitingItem]:
    items: list[WaitingItem] = []
    if access.can_release(user):
        count, oldest = _count_and_oldest(select(func.count(), func.min(Engagement.updated_at)).where(
            Engagement.tenant_id == user.tenant_id, Engagement.release_state == "proposed"))
        items.append(WaitingItem("support.approvals", _("Support requests waiting for your approval"), count,
                                 url_for("support.index"), oldest))
    if access.can_request(user):
        count, oldest = _count_and_oldest(select(func.count(), func.min(Engagement.closed_at)).where(
            Engagement.tenant_id == user.tenant_id, Engagement.stage == "done",
            ~select(Survey.engagement_id).where(Survey.tenant_id == Engagement.tenant_id,
                                                Survey.engagement_id == Engagement.id).exists()))
        items.append(WaitingItem("support.surveys", _("Completed support engagements waiting for your survey"),
                                 count, url_for("support.index"), oldest))
    if access.is_desk(user):
        count, oldest = _count_and_oldest(select(func.count(), func.min(Engagement.submitted_at)).where(
            Engagement.release_state == "submitted", Engagement.stage == "intake"))
        items.append(WaitingItem("support.intake", _("Support requests received and not yet triaged"), count,
                                 url_for("support.desk_board", stage="intake"), oldest))
    return [item for item in items if item.count]
