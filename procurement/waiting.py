""""Waiting for you" and deadline reminders of joint procurement.

- a tenant admin: declarations of their municipality waiting for approval; open demand surveys their
  municipality has not answered yet (oldest: when the survey opened);
- reminders: ``reminder_days`` before a survey closes, the admins of every municipality that has not
  committed are told (once per day, ``last_reminder_on``).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from kernel.extensions import db
from kernel.i18n import TOKYO, format_day
from kernel.i18n import service_gettext as _
from kernel.notifications import notify
from kernel.reminders import register_reminders
from kernel.waiting import NOW, VIEWER_TENANT, WaitingCount, register_waiting
from procurement import access
from procurement.models import Declaration, Project
from tenants.context import as_tenant
from tenants.models import TMG_CODE, Tenant

# Each count built once (kernel/waiting.py).
_APPROVALS = select(func.count(), func.min(Declaration.updated_at)).where(
    Declaration.tenant_id == VIEWER_TENANT, Declaration.status == "pending_approval")
_ANSWERED = select(Declaration.project_id).where(Declaration.tenant_id == VIEWER_TENANT,
                                                 Declaration.status.in_(("committed", "pending_approval")))
_SURVEYS_DUE = select(func.count(), func.min(Project.survey_opens_at)).where(
    Project.status == "demand_survey", Project.survey_opens_at <= NOW, Project.survey_closes_at > NOW,
    Project.id.not_in(_ANSWERED))


@register_waiting(fixed=True)
def procurement_waiting(user: Any) -> list[WaitingCount]:
    if not access.can_approve(user):
        return []
    return [WaitingCount("procurement.approvals", _("Demand declarations waiting for your approval"),
                         url_for("procurement.index", waiting="approval"), _APPROVALS),
            WaitingCount("procurement.declarations_due", _("Demand surveys your municipality has not answered"),
                         url_for("procurement.index", waiting="survey"), _SURVEYS_DUE)]


def waiting_project_ids(user: Any, kind: str) -> set[int]:
    """The projects behind a "waiting for you" item (the index filters to them)."""
    if kind == "approval":
        return set(db.session.scalars(select(Declaration.project_id).where(
            Declaration.tenant_id == user.tenant_id, Declaration.status == "pending_approval")))
    now = datetime.now(TOKYO)
    answered = select(Declaration.project_id).where(Declaration.tenant_id == user.tenant_id,
                                                    Declaration.status.in_(("committed", "pending_approval")))
    return set(db.session.scalars(select(Project.id).where(
        Project.status == "demand_survey", Project.survey_opens_at <= now, Project.survey_closes_at > now,
        Project.id.not_in(answered))))


@register_reminders
def survey_closing_reminders(today: date) -> int:
    """Remind the admins of municipalities that have not committed, ``reminder_days`` before the survey closes."""
    told = 0
    projects = list(db.session.scalars(select(Project).where(Project.status == "demand_survey",
                                                              Project.reminder_days > 0)))
    codes = [c for c in db.session.scalars(select(Tenant.code).where(Tenant.is_active.is_(True))) if c != TMG_CODE]
    for project in projects:
        closes_on = project.survey_closes_at.astimezone(TOKYO).date()
        if (closes_on - today).days != project.reminder_days or project.last_reminder_on == today:
            continue
        missing = [code for code in codes if not _committed(code, project.id)]
        told += notify("procurement.survey_closing", url=f"/procurement/{project.id}/declaration",
                       title=project.title, tenants=missing, deadline_ja=format_day(closes_on, "ja"),
                       deadline_en=format_day(closes_on, "en"))
        project.last_reminder_on = today
        db.session.flush()
    return told


def _committed(tenant_id: str, project_id: int) -> bool:
    # A municipality's declaration is visible only under its own binding (RLS): look deliberately, then restore.
    with as_tenant(tenant_id):
        return db.session.scalar(select(Declaration.status).where(
            Declaration.tenant_id == tenant_id, Declaration.project_id == project_id)) == "committed"
