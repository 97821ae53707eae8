"""Skill self-assessments and training plans (tenant-owned) and the opt-in "who knows what" directory."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import db
from kernel.models_base import TenantOwned


class SkillAssessment(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A person's own level (1-4) in one skill. Private to the municipality; never ranked."""

    __tablename__ = "community_skill_assessments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DirectoryProfile(db.Model):  # type: ignore[name-defined]
    """The copy of an opted-in person shown across municipalities: skills they can help with, no levels."""

    __tablename__ = "community_directory"

    person_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    person_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200), server_default="")
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    note: Mapped[str] = mapped_column(Text, server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TrainingPlan(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A municipality's DX training plan for a fiscal year."""

    __tablename__ = "community_training_plans"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    courses: Mapped[list[TrainingCourse]] = relationship(order_by="TrainingCourse.id", lazy="selectin",
                                                         viewonly=True)


class TrainingCourse(TenantOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "community_training_courses"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "plan_id"], ["community_training_plans.tenant_id",
                                                        "community_training_plans.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    plan_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    target_roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    hours: Mapped[int] = mapped_column(Integer, server_default="0")
    planned_participants: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    completions: Mapped[list[TrainingCompletion]] = relationship(lazy="selectin", viewonly=True)


class TrainingCompletion(TenantOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "community_training_completions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "course_id"], ["community_training_courses.tenant_id",
                                                          "community_training_courses.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    course_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    completed_on: Mapped[date] = mapped_column(Date)
