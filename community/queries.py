"""Reads of the community domain (the views and the other registries call these; nothing writes here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import func, or_, select

from community import access
from community.models import (
    Action,
    AgendaItem,
    Amendment,
    Body,
    DirectoryProfile,
    Material,
    Meeting,
    Minutes,
    Promoter,
    Registration,
    RosterDepartment,
    SkillAssessment,
    TrainingCourse,
    TrainingPlan,
)
from community.models.actions import OPEN_STATUSES
from kernel.extensions import db
from tenants.models import Tenant, User


def tenant_names() -> dict[str, Tenant]:
    return {t.code: t for t in db.session.scalars(select(Tenant).order_by(Tenant.code))}


def list_bodies() -> list[Body]:
    return list(db.session.scalars(select(Body).order_by(Body.id)))


def get_body(body_id: int) -> Optional[Body]:
    return db.session.get(Body, body_id)


def get_meeting(meeting_id: int) -> Optional[Meeting]:
    return db.session.get(Meeting, meeting_id)


def get_item(meeting: Meeting, item_id: int) -> Optional[AgendaItem]:
    return next((i for i in meeting.items if i.id == item_id), None)


def get_material(meeting: Meeting, material_id: int) -> Optional[Material]:
    material = db.session.get(Material, material_id)
    return material if material is not None and material.meeting_id == meeting.id else None


def materials_of(meeting: Meeting) -> list[Material]:
    return list(db.session.scalars(select(Material).where(Material.meeting_id == meeting.id).order_by(Material.id)))


def get_action(action_id: int) -> Optional[Action]:
    return db.session.get(Action, action_id)


def get_amendment(meeting: Meeting, amendment_id: int) -> Optional[Amendment]:
    row = db.session.get(Amendment, amendment_id)
    return row if row is not None and row.meeting_id == meeting.id else None


def meetings_of(body: Body) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(Meeting.body_id == body.id)
                                   .order_by(Meeting.starts_at.desc())))


def upcoming_meetings(now: Any, limit: int = 10) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(Meeting.ends_at > now, Meeting.status == "scheduled")
                                   .order_by(Meeting.starts_at).limit(limit)))


def registration_of(user: Any, meeting: Meeting) -> Optional[Registration]:
    return db.session.scalar(select(Registration).where(
        Registration.meeting_id == meeting.id, Registration.attendee_tenant == user.tenant_id,
        Registration.attendee_user_id == user.id))


def registrations(meeting: Meeting) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(Registration.meeting_id == meeting.id)
                                   .order_by(Registration.attendee_tenant, Registration.display_name)))


def minutes_of(meeting: Meeting) -> Optional[Minutes]:
    return db.session.get(Minutes, meeting.id)


def amendments_of(meeting: Meeting, user: Any) -> list[Amendment]:
    """Every proposal for the secretariat; an attendee sees the proposals of the sections they may read."""
    rows = list(db.session.scalars(select(Amendment).where(Amendment.meeting_id == meeting.id)
                                   .order_by(Amendment.id)))
    readable = {i.id for i in meeting.items if access.can_read_item(user, meeting.body, i)}
    return [a for a in rows if a.agenda_item_id in readable]


def actions_of_body(body: Body) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.body_id == body.id)
                                   .order_by(Action.due_on, Action.id)))


def actions_of_meeting(meeting: Meeting) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.meeting_id == meeting.id).order_by(Action.id)))


def meetings_by_id(ids: set[int]) -> dict[int, Meeting]:
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Meeting).where(Meeting.id.in_(ids)))}


@dataclass(frozen=True)
class TrackerRow:
    meeting: Meeting
    opened: int
    done: int
    open_now: int
    overdue: int


def tracker(body: Body, today: date) -> list[TrackerRow]:
    """Per meeting of the series: actions agreed, done, still open and overdue (history across meetings)."""
    actions = actions_of_body(body)
    rows = []
    for meeting in sorted(meetings_of(body), key=lambda m: m.starts_at):
        mine = [a for a in actions if a.meeting_id == meeting.id]
        rows.append(TrackerRow(meeting, len(mine), sum(a.status == "done" for a in mine),
                               sum(a.is_open for a in mine), sum(a.is_overdue(today) for a in mine)))
    return rows


def actions_waiting_for(user: Any) -> list[Action]:
    """Open actions the user answers for: named to them, or their municipality's when they manage it."""
    if not user.is_authenticated:
        return []
    mine = (Action.owner_user_id == user.id)
    if access.can_manage_own(user):
        mine = or_(mine, Action.owner_user_id.is_(None))
    return list(db.session.scalars(select(Action).where(
        Action.owner_tenant == user.tenant_id, Action.status.in_(OPEN_STATUSES), mine)
        .order_by(Action.due_on, Action.id)))


# The talent network (tenant-owned: every read names the tenant, RLS checks it again) ----------------

def departments(tenant_id: str) -> list[RosterDepartment]:
    return list(db.session.scalars(select(RosterDepartment).where(RosterDepartment.tenant_id == tenant_id)
                                   .order_by(RosterDepartment.name)))


def get_department(tenant_id: str, department_id: int) -> Optional[RosterDepartment]:
    return db.session.get(RosterDepartment, (tenant_id, department_id))


def get_promoter(tenant_id: str, promoter_id: int) -> Optional[Promoter]:
    return db.session.get(Promoter, (tenant_id, promoter_id))


def own_users(tenant_id: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.tenant_id == tenant_id, User.is_active.is_(True))
                                   .order_by(User.display_name)))


def my_levels(user: Any) -> dict[str, int]:
    return {a.skill: a.level for a in db.session.scalars(select(SkillAssessment).where(
        SkillAssessment.tenant_id == user.tenant_id, SkillAssessment.user_id == user.id))}


def skill_counts(tenant_id: str) -> dict[str, dict[int, int]]:
    """How many people of the municipality put themselves at each level of each skill (no names)."""
    counts: dict[str, dict[int, int]] = {}
    for skill, level, n in db.session.execute(
            select(SkillAssessment.skill, SkillAssessment.level, func.count())
            .where(SkillAssessment.tenant_id == tenant_id)
            .group_by(SkillAssessment.skill, SkillAssessment.level)):
        counts.setdefault(skill, {})[int(level)] = int(n)
    return counts


def directory_profile(user: Any) -> Optional[DirectoryProfile]:
    return db.session.get(DirectoryProfile, (user.tenant_id, user.id))


def directory(skill: Optional[str]) -> list[DirectoryProfile]:
    """Opted-in people, by municipality and name (never ordered by level: the directory ranks no one)."""
    stmt = select(DirectoryProfile)
    if skill:
        stmt = stmt.where(DirectoryProfile.skills.contains([skill]))
    return list(db.session.scalars(stmt.order_by(DirectoryProfile.person_tenant, DirectoryProfile.display_name)))


def plans(tenant_id: str) -> list[TrainingPlan]:
    return list(db.session.scalars(select(TrainingPlan).where(TrainingPlan.tenant_id == tenant_id)
                                   .order_by(TrainingPlan.fiscal_year.desc(), TrainingPlan.id)))


def get_plan(tenant_id: str, plan_id: int) -> Optional[TrainingPlan]:
    return db.session.get(TrainingPlan, (tenant_id, plan_id))


def get_course(tenant_id: str, course_id: int) -> Optional[TrainingCourse]:
    return db.session.get(TrainingCourse, (tenant_id, course_id))
