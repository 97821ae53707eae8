"""Support engagements (伴走型支援): TMG's vocabularies, supporters, and the municipality-owned engagement.

An engagement is the municipality's request from its first draft to the published case: it is
owned by the requesting municipality (tenant_id first in every key, composite foreign keys, RLS).
TMG's support desk reaches it only through the ``support_desk`` policy of the migration, once the
municipality's admin has released it. Rows written by TMG staff carry the actor's name as a copy,
because a foreign key cannot point from a municipality's row to a TMG user.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import db
from kernel.models_base import TenantOwned

# The triage pipeline (18F: identified → prioritised → qualified → scoped → executed → landed).
OPEN_STAGES = ("intake", "prioritise", "qualify", "plan", "active")
CLOSED_STAGES = ("done", "declined")
STAGES = (*OPEN_STAGES, "done", "on_hold", "declined")
# Where each stage may go next; 保留 (on hold) returns to any open stage.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "intake": ("prioritise", "on_hold", "declined"),
    "prioritise": ("qualify", "on_hold", "declined"),
    "qualify": ("plan", "prioritise", "on_hold", "declined"),
    "plan": ("active", "qualify", "on_hold", "declined"),
    "active": ("done", "on_hold"),
    "on_hold": OPEN_STAGES + ("declined",),
    "done": (),
    "declined": (),
}
RELEASE_STATES = ("draft", "proposed", "submitted")
PRIORITIES = ("high", "medium", "low")
ACTIVITIES = ("meeting", "analysis", "document", "workshop", "travel", "other")
INDICATORS = ("staff_hours", "processing_days", "waiting_minutes", "online_share", "custom")
# Skill levels: 1 awareness, 2 working, 3 practitioner, 4 expert.
LEVELS = (1, 2, 3, 4)


class Theme(db.Model):  # type: ignore[name-defined]
    """A theme municipalities pick for a request; TMG keeps the list."""

    __tablename__ = "support_themes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    def name(self, lang: str = "ja") -> str:
        return self.name_en if lang == "en" else self.name_ja


class Skill(db.Model):  # type: ignore[name-defined]
    """One entry of TMG's skill vocabulary (category such as bpr, data, security)."""

    __tablename__ = "support_skills"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    name_ja: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    def name(self, lang: str = "ja") -> str:
        return self.name_en if lang == "en" else self.name_ja


class StageSla(db.Model):  # type: ignore[name-defined]
    """The service level of one stage: days an engagement may stay in it before it is a breach."""

    __tablename__ = "support_stage_slas"

    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class Supporter(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A TMG supporter's profile (tenant_id is always TMG): monthly capacity and skills."""

    __tablename__ = "support_supporters"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    capacity_hours: Mapped[int] = mapped_column(Integer, server_default="40")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupporterSkill(TenantOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "support_supporter_skills"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["support_supporters.tenant_id", "support_supporters.user_id"],
                             ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    skill_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("support_skills.id", ondelete="CASCADE"),
                                          primary_key=True)
    level: Mapped[int] = mapped_column(Integer)


class Engagement(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A municipality's support request and, once TMG took it on, the engagement."""

    __tablename__ = "support_engagements"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    theme_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("support_themes.id"))
    problem: Mapped[str] = mapped_column(Text, server_default="")
    department: Mapped[str] = mapped_column(String(200), server_default="")
    desired_start: Mapped[Optional[date]] = mapped_column(Date)
    desired_end: Mapped[Optional[date]] = mapped_column(Date)
    release_state: Mapped[str] = mapped_column(String(20), server_default="draft")
    stage: Mapped[Optional[str]] = mapped_column(String(20))
    priority: Mapped[Optional[str]] = mapped_column(String(10))
    plan: Mapped[str] = mapped_column(Text, server_default="")
    skill_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    form_token: Mapped[Optional[str]] = mapped_column(String(40))
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_by_name: Mapped[str] = mapped_column(String(200), server_default="")
    approved_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    stage_entered_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES or self.stage == "on_hold"


def _engagement_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", "engagement_id"], ["support_engagements.tenant_id",
                                                                 "support_engagements.id"], ondelete="CASCADE")


class StageEvent(TenantOwned, db.Model):  # type: ignore[name-defined]
    """One move in the pipeline: who (of which tenant), when, from where to where, and why."""

    __tablename__ = "support_stage_events"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    from_stage: Mapped[Optional[str]] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    actor_tenant_id: Mapped[str] = mapped_column(String(6))
    actor_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(200), server_default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupporterAssignment(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A TMG supporter staffed on an engagement (ended_at set when taken off)."""

    __tablename__ = "support_assignments"
    __table_args__ = (_engagement_fk(),)

    engagement_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supporter_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supporter_name: Mapped[str] = mapped_column(String(200))
    is_lead: Mapped[bool] = mapped_column(Boolean, server_default="false")
    planned_hours: Mapped[int] = mapped_column(Integer, server_default="0")
    reason: Mapped[str] = mapped_column(Text, server_default="")
    assigned_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupportFile(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A file of the request (attached by the municipality) or a deliverable of the engagement."""

    __tablename__ = "support_files"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20), server_default="deliverable")
    title: Mapped[str] = mapped_column(String(200), server_default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_by_tenant: Mapped[str] = mapped_column(String(6))
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_by_name: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Meeting(TenantOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "support_meetings"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[str] = mapped_column(Text, server_default="")
    notes: Mapped[str] = mapped_column(Text, server_default="")
    form_token: Mapped[Optional[str]] = mapped_column(String(40))
    created_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_by_name: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NextAction(TenantOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "support_actions"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    done_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    form_token: Mapped[Optional[str]] = mapped_column(String(40))
    created_by_name: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TimeLog(TenantOwned, db.Model):  # type: ignore[name-defined]
    """Time a supporter spent on the engagement, per activity type."""

    __tablename__ = "support_time_logs"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    user_name: Mapped[str] = mapped_column(String(200))
    activity: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(Integer)
    logged_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), server_default="")
    form_token: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Outcome(TenantOwned, db.Model):  # type: ignore[name-defined]
    """One measured indicator: baseline and after value, each with its date and source."""

    __tablename__ = "support_outcomes"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    indicator: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200), server_default="")
    unit: Mapped[str] = mapped_column(String(40), server_default="")
    baseline_value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    baseline_on: Mapped[date] = mapped_column(Date)
    baseline_source: Mapped[str] = mapped_column(String(300))
    after_value: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    after_on: Mapped[Optional[date]] = mapped_column(Date)
    after_source: Mapped[str] = mapped_column(String(300), server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Survey(TenantOwned, db.Model):  # type: ignore[name-defined]
    """The municipality's closing satisfaction survey (CSAT 1-5 and free text), one per engagement."""

    __tablename__ = "support_surveys"
    __table_args__ = (_engagement_fk(),)

    engagement_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    csat: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, server_default="")
    answered_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccessLogEntry(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A TMG supporter opened the municipality's engagement (cross-tenant read, shown to the municipality)."""

    __tablename__ = "support_access_log"
    __table_args__ = (_engagement_fk(),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    engagement_id: Mapped[int] = mapped_column(BigInteger)
    actor_user_id: Mapped[int] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
