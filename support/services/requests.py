"""Requests and the triage pipeline: draft → the municipality's release → TMG's stages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import select

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from support import access, notify
from support.models import PRIORITIES, STAGES, TRANSITIONS, Engagement, StageEvent, StageSla, Theme
from support.services.common import actor_name, bump, check_version, clean_token, now, text


@dataclass(frozen=True)
class RequestData:
    title: str
    theme_id: Optional[int]
    problem: str
    department: str
    desired_start: Optional[date] = None
    desired_end: Optional[date] = None


def _checked(data: RequestData) -> dict[str, Any]:
    theme = db.session.get(Theme, data.theme_id) if isinstance(data.theme_id, int) else None
    if theme is None or not theme.is_active:
        raise ServiceError(_("Choose a theme from the list."), "theme_id")
    if data.desired_start and data.desired_end and data.desired_end < data.desired_start:
        raise ServiceError(_("The end of the desired period is before its start."), "desired_end")
    return {"title": text(data.title, 200, "title", required=True), "theme_id": theme.id,
            "problem": text(data.problem, 20000, "problem", required=True),
            "department": text(data.department, 200, "department", required=True),
            "desired_start": data.desired_start, "desired_end": data.desired_end}


def create_request(actor: Any, data: RequestData, form_token: Any = None) -> Engagement:
    """A municipal member drafts a support request; a repeated submit returns the first draft."""
    if not access.can_request(actor):
        raise ServiceError(_("Only municipal staff can request support."))
    token = clean_token(form_token)
    if token is not None:
        existing = db.session.scalar(select(Engagement).where(Engagement.tenant_id == actor.tenant_id,
                                                              Engagement.form_token == token))
        if existing is not None:
            return existing
    values = _checked(data)
    engagement = Engagement(tenant_id=actor.tenant_id, form_token=token, created_by=actor.id,
                            created_by_name=actor_name(actor), **values)
    db.session.add(engagement)
    db.session.flush()
    audit.record("support.request_create", "support_engagement", engagement.id, after=values)
    return engagement


def update_request(actor: Any, engagement: Engagement, data: RequestData, expected_version: Optional[int]) -> None:
    """Edit a request while it is still inside the municipality (draft or awaiting approval)."""
    if not access.is_requester_side(actor, engagement) or engagement.release_state == "submitted":
        raise ServiceError(_("This request has been sent to TMG and can no longer be edited."))
    check_version(engagement, expected_version)
    values = _checked(data)
    before = {k: getattr(engagement, k) for k in values}
    for key, value in values.items():
        setattr(engagement, key, value)
    bump(engagement)
    db.session.flush()
    audit.record("support.request_update", "support_engagement", engagement.id, before=before, after=values)


def propose_request(actor: Any, engagement: Engagement, expected_version: Optional[int]) -> None:
    """The member asks the municipality's admin to release the request to TMG."""
    if not access.is_requester_side(actor, engagement):
        raise ServiceError(_("Only staff of the requesting municipality can do this."))
    check_version(engagement, expected_version)
    if engagement.release_state != "draft":
        raise ServiceError(_("This request is not a draft."))
    engagement.release_state = "proposed"
    bump(engagement)
    db.session.flush()
    audit.record("support.request_propose", "support_engagement", engagement.id)
    notify.request_proposed(actor, engagement)


def return_request(actor: Any, engagement: Engagement, expected_version: Optional[int], reason: str) -> None:
    """The admin sends a proposed request back to draft (with a reason for the requester)."""
    if not access.can_release(actor) or actor.tenant_id != engagement.tenant_id:
        raise ServiceError(_("Only your municipality's administrator can approve requests."))
    check_version(engagement, expected_version)
    if engagement.release_state != "proposed":
        raise ServiceError(_("This request is not awaiting approval."))
    engagement.release_state = "draft"
    bump(engagement)
    db.session.flush()
    audit.record("support.request_return", "support_engagement", engagement.id, after={"reason": reason[:2000]})
    notify.request_returned(actor, engagement)


def approve_request(actor: Any, engagement: Engagement, expected_version: Optional[int]) -> None:
    """The admin releases the request: it leaves the municipality and enters TMG's pipeline (受付)."""
    if not access.can_release(actor) or actor.tenant_id != engagement.tenant_id:
        raise ServiceError(_("Only your municipality's administrator can approve requests."))
    check_version(engagement, expected_version)
    if engagement.release_state != "proposed":
        raise ServiceError(_("This request is not awaiting approval."))
    at = now()
    engagement.release_state = "submitted"
    engagement.stage = "intake"
    engagement.stage_entered_at = at
    engagement.submitted_at = at
    engagement.approved_by = actor.id
    bump(engagement)
    db.session.add(StageEvent(tenant_id=engagement.tenant_id, engagement_id=engagement.id, from_stage=None,
                              to_stage="intake", reason="", actor_tenant_id=actor.tenant_id, actor_user_id=actor.id,
                              actor_name=actor_name(actor), occurred_at=at))
    db.session.flush()
    audit.record("support.request_approve", "support_engagement", engagement.id, after={"stage": "intake"})
    notify.request_approved(actor, engagement)


def move_stage(actor: Any, engagement: Engagement, to_stage: str, reason: str,
               expected_version: Optional[int]) -> StageEvent:
    """TMG's support desk moves an engagement through the pipeline; every move keeps who, when and why."""
    if not access.is_desk(actor) or engagement.release_state != "submitted":
        raise ServiceError(_("Only TMG's support desk can move engagements."))
    check_version(engagement, expected_version)
    current = engagement.stage or "intake"
    if to_stage not in STAGES or to_stage not in TRANSITIONS[current]:
        raise ServiceError(_("This engagement cannot move to that stage from here."), "to_stage")
    reason = text(reason, 2000, "reason", required=to_stage in ("on_hold", "declined"))
    at = now()
    event = StageEvent(tenant_id=engagement.tenant_id, engagement_id=engagement.id, from_stage=current,
                       to_stage=to_stage, reason=reason, actor_tenant_id=actor.tenant_id, actor_user_id=actor.id,
                       actor_name=actor_name(actor), occurred_at=at)
    engagement.stage = to_stage
    engagement.stage_entered_at = at
    engagement.closed_at = at if to_stage in ("done", "declined") else None
    bump(engagement)
    db.session.add(event)
    db.session.flush()
    audit.record("support.stage_move", "support_engagement", f"{engagement.tenant_id}:{engagement.id}",
                 before={"stage": current}, after={"stage": to_stage, "reason": reason})
    notify.stage_changed(actor, engagement)
    return event


def set_priority(actor: Any, engagement: Engagement, priority: str, expected_version: Optional[int]) -> None:
    """The desk sets the priority (high / medium / low)."""
    if not access.is_desk(actor) or engagement.release_state != "submitted":
        raise ServiceError(_("Only TMG's support desk can move engagements."))
    check_version(engagement, expected_version)
    if priority not in PRIORITIES:
        raise ServiceError(_("Choose a priority."), "priority")
    before = engagement.priority
    engagement.priority = priority
    bump(engagement)
    db.session.flush()
    audit.record("support.priority", "support_engagement", f"{engagement.tenant_id}:{engagement.id}",
                 before={"priority": before}, after={"priority": priority})


def set_plan(actor: Any, engagement: Engagement, plan: str, skill_ids: list[int],
             expected_version: Optional[int]) -> None:
    """The desk records the scope / plan and the skills the engagement needs (used to suggest supporters)."""
    if not access.is_desk(actor) or engagement.release_state != "submitted":
        raise ServiceError(_("Only TMG's support desk can move engagements."))
    check_version(engagement, expected_version)
    from support.models import Skill

    known = set(db.session.scalars(select(Skill.id).where(Skill.id.in_(skill_ids or [0]), Skill.is_active)))
    if set(skill_ids or []) - known:
        raise ServiceError(_("Choose skills from the list."), "skill_ids")
    engagement.plan = text(plan, 20000, "plan")
    engagement.skill_ids = sorted(known)
    bump(engagement)
    db.session.flush()
    audit.record("support.plan", "support_engagement", f"{engagement.tenant_id}:{engagement.id}",
                 after={"skills": sorted(known)})


def set_service_levels(actor: Any, days_by_stage: dict[str, Any]) -> None:
    """The desk sets the service level (days) of each stage."""
    if not access.is_desk(actor):
        raise ServiceError(_("Only TMG's support desk can move engagements."))
    rows = {row.stage: row for row in db.session.scalars(select(StageSla))}
    before = {s: r.days for s, r in rows.items()}
    for stage, value in days_by_stage.items():
        if stage not in STAGES or stage in ("done", "declined"):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 730:
            raise ServiceError(_("Enter a whole number of days from 1 to 730."), stage)
        if stage in rows:
            rows[stage].days = value
        else:
            db.session.add(StageSla(stage=stage, days=value))
    db.session.flush()
    # One table for the whole desk: its object id "desk" lets the audit log name and link it.
    audit.record("support.service_levels", "support_stage_slas", "desk", before=before, after=days_by_stage)


def record_access(actor: Any, engagement: Engagement, what: str) -> None:
    """A TMG supporter opened the municipality's engagement: the municipality sees who and when."""
    from support.models import AccessLogEntry

    if not access.is_desk(actor):
        return
    db.session.add(AccessLogEntry(tenant_id=engagement.tenant_id, engagement_id=engagement.id,
                                  actor_user_id=actor.id, actor_name=actor_name(actor), what=what[:40]))
    db.session.flush()
