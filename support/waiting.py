""""Waiting for you" items of the support domain: requests to approve, requests to triage, surveys to answer."""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from kernel.waiting import VIEWER_TENANT, WaitingCount, register_waiting
from support import access
from support.models import Engagement, Survey

# Each count built once (kernel/waiting.py).
_APPROVALS = select(func.count(), func.min(Engagement.updated_at)).where(
    Engagement.tenant_id == VIEWER_TENANT, Engagement.release_state == "proposed")
_SURVEYS = select(func.count(), func.min(Engagement.closed_at)).where(
    Engagement.tenant_id == VIEWER_TENANT, Engagement.stage == "done",
    ~select(Survey.engagement_id).where(Survey.tenant_id == Engagement.tenant_id,
                                        Survey.engagement_id == Engagement.id).exists())
_INTAKE = select(func.count(), func.min(Engagement.submitted_at)).where(
    Engagement.release_state == "submitted", Engagement.stage == "intake")


@register_waiting(fixed=True)
def support_waiting(user: Any) -> list[WaitingCount]:
    items: list[WaitingCount] = []
    if access.can_release(user):
        items.append(WaitingCount("support.approvals", _("Support requests waiting for your approval"),
                                  url_for("support.index"), _APPROVALS))
    if access.can_request(user):
        items.append(WaitingCount("support.surveys", _("Completed support engagements waiting for your survey"),
                                  url_for("support.index"), _SURVEYS))
    if access.is_desk(user):
        items.append(WaitingCount("support.intake", _("Support requests received and not yet triaged"),
                                  url_for("support.desk_board", stage="intake"), _INTAKE))
    return items
