"""Reads of the support domain. Every query runs under the caller's RLS binding: a municipality sees
its own engagements, TMG's support desk the released ones (the support_desk policy), nobody else any.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import func, select

from kernel.extensions import db
from support.models import (
    OPEN_STAGES,
    AccessLogEntry,
    Engagement,
    StageEvent,
    StageSla,
    SupporterAssignment,
    Theme,
)
from support.services.common import now
from tenants.models import Tenant

# The skills a theme usually needs, used until the desk records the engagement's own needs.
THEME_SKILL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "bpr": ("bpr", "change_management"), "kakanai_madoguchi": ("service_design", "bpr"),
    "online_application": ("service_design", "bpr"), "procurement_spec": ("procurement",), "data": ("data",),
    "security": ("security",), "generative_ai": ("data", "change_management"),
}
BOARD_STAGES = (*OPEN_STAGES, "on_hold", "done", "declined")


def themes(active_only: bool = True) -> list[Theme]:
    query = select(Theme).order_by(Theme.position, Theme.id)
    if active_only:
        query = query.where(Theme.is_active)
    return list(db.session.scalars(query))


def service_levels() -> dict[str, int]:
    return {row.stage: row.days for row in db.session.scalars(select(StageSla))}


def get_engagement(engagement_id: int) -> Optional[Engagement]:
    """The engagement if the caller's binding lets them see it (RLS), else None."""
    return db.session.scalar(select(Engagement).where(Engagement.id == engagement_id))


def own_engagements(tenant_id: str) -> list[Engagement]:
    return list(db.session.scalars(select(Engagement).where(Engagement.tenant_id == tenant_id)
                                   .order_by(Engagement.updated_at.desc(), Engagement.id.desc())))


@dataclass
class DeskFilters:
    theme_id: Optional[int] = None
    tenant_id: Optional[str] = None
    kind: Optional[str] = None
    region: Optional[str] = None
    supporter_id: Optional[int] = None
    stage: Optional[str] = None
    min_age_days: Optional[int] = None

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


@dataclass
class Row:
    engagement: Engagement
    tenant: Tenant
    theme: Theme
    supporters: list[str] = field(default_factory=list)
    days_in_stage: int = 0
    sla_days: Optional[int] = None
    age_days: int = 0

    @property
    def breached(self) -> bool:
        return self.sla_days is not None and self.days_in_stage > self.sla_days and self.engagement.is_open


def _days(since: Optional[datetime], at: datetime) -> int:
    return max(0, (at - since).days) if since else 0


def desk_rows(filters: DeskFilters) -> list[Row]:
    """The released engagements the desk sees, filtered, with time in stage and SLA per row."""
    query = (select(Engagement, Tenant, Theme)
                          .join(Tenant, Tenant.code == Engagement.tenant_id)
                          .join(Theme, Theme.id == Engagement.theme_id)
                          .where(Engagement.release_state == "submitted"))
    if filters.theme_id:
        query = query.where(Engagement.theme_id == filters.theme_id)
    if filters.tenant_id:
        query = query.where(Engagement.tenant_id == filters.tenant_id)
    if filters.kind:
        query = query.where(Tenant.kind == filters.kind)
    if filters.region:
        query = query.where(Tenant.region == filters.region)
    if filters.stage:
        query = query.where(Engagement.stage == filters.stage)
    if filters.supporter_id:
        staffed = SupporterAssignment
        query = query.where(select(staffed.engagement_id).where(
            staffed.tenant_id == Engagement.tenant_id, staffed.engagement_id == Engagement.id,
            staffed.supporter_user_id == filters.supporter_id, staffed.ended_at.is_(None)).exists())
    at = now()
    slas = service_levels()
    rows = [Row(e, t, th, days_in_stage=_days(e.stage_entered_at, at), sla_days=slas.get(e.stage or ""),
                age_days=_days(e.submitted_at, at))
            for e, t, th in db.session.execute(query.order_by(Engagement.submitted_at, Engagement.id))]
    if filters.min_age_days:
        rows = [r for r in rows if r.age_days >= filters.min_age_days]
    names = supporters_by_engagement([r.engagement for r in rows])
    for row in rows:
        row.supporters = names.get((row.engagement.tenant_id, row.engagement.id), [])
    return rows


def supporters_by_engagement(engagements: list[Engagement]) -> dict[tuple[str, int], list[str]]:
    if not engagements:
        return {}
    keys = [(e.tenant_id, e.id) for e in engagements]
    result: dict[tuple[str, int], list[str]] = defaultdict(list)
    staffed = SupporterAssignment
    for a in db.session.scalars(select(staffed).where(
            func.row(staffed.tenant_id, staffed.engagement_id).in_(keys), staffed.ended_at.is_(None))
            .order_by(staffed.is_lead.desc(), staffed.supporter_name)):
        result[(a.tenant_id, a.engagement_id)].append(a.supporter_name)
    return result


def board(rows: list[Row]) -> dict[str, list[Row]]:
    columns: dict[str, list[Row]] = {stage: [] for stage in BOARD_STAGES}
    for row in rows:
        columns.setdefault(row.engagement.stage or "intake", []).append(row)
    return columns


def stage_events(engagement: Engagement) -> list[StageEvent]:
    return list(db.session.scalars(select(StageEvent).where(
        StageEvent.tenant_id == engagement.tenant_id, StageEvent.engagement_id == engagement.id)
        .order_by(StageEvent.occurred_at, StageEvent.id)))


def time_in_stages(events: list[StageEvent], at: Optional[datetime] = None) -> list[tuple[str, float]]:
    """Days spent in each stage visited, in order (the current one up to now)."""
    at = at or now()
    spans: dict[str, float] = {}
    followers: list[Optional[StageEvent]] = [*events[1:], None] if events else []
    for event, following in zip(events, followers, strict=True):
        end = following.occurred_at if following is not None else at
        spans[event.to_stage] = spans.get(event.to_stage, 0.0) + (end - event.occurred_at).total_seconds() / 86400
    return [(stage, round(days, 1)) for stage, days in spans.items()]


def access_log(engagement: Engagement, limit: int = 50) -> list[AccessLogEntry]:
    return list(db.session.scalars(select(AccessLogEntry).where(
        AccessLogEntry.tenant_id == engagement.tenant_id, AccessLogEntry.engagement_id == engagement.id)
        .order_by(AccessLogEntry.occurred_at.desc(), AccessLogEntry.id.desc()).limit(limit)))


def assignments(engagement: Engagement, include_ended: bool = False) -> list[SupporterAssignment]:
    query = select(SupporterAssignment).where(SupporterAssignment.tenant_id == engagement.tenant_id,
                                     SupporterAssignment.engagement_id == engagement.id)
    if not include_ended:
        query = query.where(SupporterAssignment.ended_at.is_(None))
    return list(db.session.scalars(query.order_by(SupporterAssignment.is_lead.desc(), SupporterAssignment.assigned_at)))


def municipalities() -> list[Tenant]:
    return list(db.session.scalars(select(Tenant).where(Tenant.code != "130001").order_by(Tenant.code)))


# Staffing -------------------------------------------------------------------------------------

def skills(active_only: bool = True) -> list[Any]:
    from support.models import Skill

    query = select(Skill).order_by(Skill.category, Skill.id)
    if active_only:
        query = query.where(Skill.is_active)
    return list(db.session.scalars(query))


@dataclass
class SupporterLoad:
    supporter: Any
    levels: dict[int, int]
    planned_hours: int
    engagements: int
    logged_hours_this_month: Decimal

    @property
    def free_hours(self) -> int:
        return max(0, self.supporter.capacity_hours - self.planned_hours)

    @property
    def load_percent(self) -> int:
        cap = self.supporter.capacity_hours
        return round(100 * self.planned_hours / cap) if cap else 100


def supporter_loads() -> list[SupporterLoad]:
    """Every active supporter with skills, planned hours on open engagements and hours logged this month.

    Read by the desk (TMG bound): the profiles are TMG's rows, the assignments and time logs the
    municipalities' rows the support_desk policy admits."""
    from support.models import Supporter, SupporterSkill, TimeLog

    supporters = list(db.session.scalars(select(Supporter).where(Supporter.is_active)
                                         .order_by(Supporter.display_name)))
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for row in db.session.scalars(select(SupporterSkill)):
        levels[row.user_id][row.skill_id] = row.level
    planned: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    staffed = SupporterAssignment
    for a in db.session.scalars(select(staffed).join(Engagement, (
            Engagement.tenant_id == staffed.tenant_id) & (Engagement.id == staffed.engagement_id)).where(
            staffed.ended_at.is_(None), Engagement.stage.in_((*OPEN_STAGES, "on_hold")))):
        planned[a.supporter_user_id] += a.planned_hours
        counts[a.supporter_user_id] += 1
    month_start = now().date().replace(day=1)
    logged = dict(db.session.execute(select(TimeLog.user_id, func.sum(TimeLog.minutes)).where(
        TimeLog.logged_on >= month_start).group_by(TimeLog.user_id)).all())
    return [SupporterLoad(s, levels.get(s.user_id, {}), planned[s.user_id], counts[s.user_id],
                          (Decimal(logged.get(s.user_id) or 0) / 60).quantize(Decimal("0.1")))
            for s in supporters]


@dataclass
class Suggestion:
    load: SupporterLoad
    score: int
    matched: list[tuple[Any, int]]
    missing: list[Any]


def suggestions(engagement: Engagement, limit: int = 5) -> list[Suggestion]:
    """Supporters ranked by skill match (sum of levels on the needed skills) and then free capacity.

    The reason is returned with each: the matched skills with their level, the missing ones, the
    free hours. Without needed skills recorded, the theme's category is used as the need."""
    all_skills = {s.id: s for s in skills(active_only=False)}
    needed = list(engagement.skill_ids or [])
    if not needed:
        from support.models import Theme

        theme = db.session.get(Theme, engagement.theme_id)
        categories = THEME_SKILL_CATEGORIES.get(theme.code if theme is not None else "", ())
        needed = [s.id for s in all_skills.values() if s.category in categories]
    assigned = {a.supporter_user_id for a in assignments(engagement)}
    ranked = []
    for load in supporter_loads():
        if load.supporter.user_id in assigned:
            continue
        matched = [(all_skills[k], load.levels[k]) for k in needed if k in load.levels and k in all_skills]
        missing = [all_skills[k] for k in needed if k not in load.levels and k in all_skills]
        ranked.append(Suggestion(load, sum(level for _s, level in matched), matched, missing))
    ranked.sort(key=lambda s: (-s.score, -s.load.free_hours, s.load.supporter.display_name))
    return ranked[:limit]


# Workspace ------------------------------------------------------------------------------------

def _of(model: Any, engagement: Engagement, *order: Any) -> list[Any]:
    return list(db.session.scalars(select(model).where(model.tenant_id == engagement.tenant_id,
                                                       model.engagement_id == engagement.id).order_by(*order)))


def meetings(engagement: Engagement) -> list[Any]:
    from support.models import Meeting

    return _of(Meeting, engagement, Meeting.held_on.desc(), Meeting.id.desc())


def actions(engagement: Engagement) -> list[Any]:
    from support.models import NextAction

    return _of(NextAction, engagement, NextAction.done_at.is_not(None), NextAction.due_on, NextAction.id)


def files(engagement: Engagement) -> list[Any]:
    from support.models import SupportFile

    return _of(SupportFile, engagement, SupportFile.id)


def time_logs(engagement: Engagement) -> list[Any]:
    from support.models import TimeLog

    return _of(TimeLog, engagement, TimeLog.logged_on.desc(), TimeLog.id.desc())


def outcomes(engagement: Engagement) -> list[Any]:
    from support.models import Outcome

    return _of(Outcome, engagement, Outcome.id)


def survey(engagement: Engagement) -> Any:
    from support.models import Survey

    return db.session.get(Survey, (engagement.tenant_id, engagement.id))


def get_file(engagement: Engagement, file_id: int) -> Any:
    from support.models import SupportFile

    row = db.session.get(SupportFile, (engagement.tenant_id, file_id))
    return row if row is not None and row.engagement_id == engagement.id else None


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    text: str
    who: str = ""


def timeline(engagement: Engagement) -> list[TimelineItem]:
    """Everything that happened on the engagement, newest first."""
    from datetime import time

    from kernel.i18n import TOKYO

    def day(d: Any) -> datetime:
        return datetime.combine(d, time(12, 0), tzinfo=TOKYO)

    items = [TimelineItem(e.occurred_at, "stage", e.to_stage, e.actor_name) for e in stage_events(engagement)]
    items += [TimelineItem(day(m.held_on), "meeting", m.title, m.created_by_name) for m in meetings(engagement)]
    items += [TimelineItem(a.created_at, "action", a.title, a.owner_name) for a in actions(engagement)]
    items += [TimelineItem(f.created_at, "file", f.title or f.filename, f.created_by_name) for f in files(engagement)]
    items += [TimelineItem(day(t.logged_on), "time", f"{t.minutes / 60:.1f}", t.user_name)
              for t in time_logs(engagement)]
    items += [TimelineItem(a.assigned_at, "assignment", a.supporter_name) for a in assignments(engagement, True)]
    items += [TimelineItem(o.updated_at, "outcome", o.label or o.indicator) for o in outcomes(engagement)]
    return sorted(items, key=lambda i: i.at, reverse=True)
