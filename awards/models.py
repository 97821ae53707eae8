"""Award programmes (cross-tenant), entries (tenant-owned) and the judging tables.

A municipality drafts its entry in its own rows (``award_entries``, RLS). When its tenant admin
approves the entry, a copy goes to the programme's cross-tenant space (``award_submissions``):
judges and curators only ever read that copy, never a municipality's private rows. Cross-tenant
tables name the municipality ``entrant_code``/``judge_tenant`` (not ``tenant_id``) on purpose:
their visibility is decided by the awards services, object by object.
"""
from __future__ import annotations

from datetime import date, datetime
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
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import Model
from kernel.models_base import TenantOwned

COMMENT_MODES = ("off", "optional", "required")
STAGES = ("screening", "final")
ENTRY_STATUSES = ("draft", "pending", "submitted", "withdrawn")
ENTRY_FIELDS = ("summary", "background", "activities", "system", "effects", "ingenuity")


class Programme(Model):
    """One award programme of a fiscal year (e.g. 令和8年度 区市町村DXアワード)."""

    __tablename__ = "award_programmes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    entry_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entry_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    judging_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    judging_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blind: Mapped[bool] = mapped_column(Boolean, server_default="false")
    comment_mode: Mapped[str] = mapped_column(String(10), server_default="optional")
    has_final: Mapped[bool] = mapped_column(Boolean, server_default="true")
    stage: Mapped[str] = mapped_column(String(10), server_default="screening")
    results_published_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # the shortlisting decision (screening → final): who and when, shown with the screening results
    shortlisted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    shortlisted_by_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    shortlisted_by_name: Mapped[Optional[str]] = mapped_column(String(200))
    reminder_days: Mapped[int] = mapped_column(Integer, server_default="3")  # days before judging closes; 0: none
    last_reminder_on: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    categories: Mapped[list[Category]] = relationship(
        order_by="Category.position, Category.id", cascade="all, delete-orphan", back_populates="programme")
    criteria: Mapped[list[Criterion]] = relationship(
        order_by="Criterion.position, Criterion.id", cascade="all, delete-orphan", back_populates="programme")

    @property
    def is_published(self) -> bool:
        return self.results_published_at is not None


class Category(Model):
    """A 部門 of a programme."""

    __tablename__ = "award_categories"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    programme_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_programmes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    position: Mapped[int] = mapped_column(Integer, server_default="0")

    programme: Mapped[Programme] = relationship(back_populates="categories")


class Criterion(Model):
    """A rubric criterion: integer weight, integer scale and a description per level."""

    __tablename__ = "award_criteria"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    programme_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_programmes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    weight: Mapped[int] = mapped_column(Integer)
    scale_min: Mapped[int] = mapped_column(Integer, server_default="1")
    scale_max: Mapped[int] = mapped_column(Integer, server_default="5")
    levels: Mapped[str] = mapped_column(Text, server_default="")  # one line per level, lowest first
    position: Mapped[int] = mapped_column(Integer, server_default="0")

    programme: Mapped[Programme] = relationship(back_populates="criteria")

    @property
    def level_lines(self) -> list[tuple[int, str]]:
        lines = [line.strip() for line in self.levels.splitlines()]
        values = range(self.scale_min, self.scale_max + 1)
        return [(v, lines[i] if i < len(lines) else "") for i, v in enumerate(values)]


class Entry(TenantOwned, Model):
    """A municipality's entry sheet, private to it until its tenant admin approves it."""

    __tablename__ = "award_entries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "created_by"], ["users.tenant_id", "users.id"]),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    programme_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_programmes.id"))
    category_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_categories.id"))
    case_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, server_default="")      # 取組概要
    background: Mapped[str] = mapped_column(Text, server_default="")   # 経緯・動機
    activities: Mapped[str] = mapped_column(Text, server_default="")   # 取組内容
    system: Mapped[str] = mapped_column(Text, server_default="")       # システム概要
    effects: Mapped[str] = mapped_column(Text, server_default="")      # 効果（数値）
    ingenuity: Mapped[str] = mapped_column(Text, server_default="")    # 職員の工夫
    status: Mapped[str] = mapped_column(String(12), server_default="draft")
    created_by: Mapped[int] = mapped_column(BigInteger)
    approved_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    submission_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    requested_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    files: Mapped[list[EntryFile]] = relationship(order_by="EntryFile.id", cascade="all, delete-orphan")


class EntryFile(TenantOwned, Model):
    """A PDF attached to an entry (the only accepted type: its metadata can be stripped for judges)."""

    __tablename__ = "award_entry_files"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "entry_id"], ["award_entries.tenant_id", "award_entries.id"],
                             ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Submission(Model):
    """The approved copy of an entry in the programme's cross-tenant space (what judges read)."""

    __tablename__ = "award_submissions"
    __table_args__ = (UniqueConstraint("programme_id", "reference_no"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    programme_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_programmes.id"))
    category_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_categories.id"))
    reference_no: Mapped[int] = mapped_column(Integer)  # E-001…, in order of submission
    entrant_code: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, server_default="")
    background: Mapped[str] = mapped_column(Text, server_default="")
    activities: Mapped[str] = mapped_column(Text, server_default="")
    system: Mapped[str] = mapped_column(Text, server_default="")
    effects: Mapped[str] = mapped_column(Text, server_default="")
    ingenuity: Mapped[str] = mapped_column(Text, server_default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    shortlisted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    sent_to_casebook_case_id: Mapped[Optional[int]] = mapped_column(BigInteger)

    files: Mapped[list[SubmissionFile]] = relationship(order_by="SubmissionFile.id", cascade="all, delete-orphan")

    @property
    def reference(self) -> str:
        return f"E-{self.reference_no:03d}"


class SubmissionFile(Model):
    __tablename__ = "award_submission_files"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    submission_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_submissions.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class JudgePoolMember(Model):
    """A person holding the judge role, listed so that curators can assign them (users rows are private)."""

    __tablename__ = "award_judge_pool"

    judge_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    judge_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Judge(Model):
    """A judge of one programme."""

    __tablename__ = "award_judges"
    __table_args__ = (UniqueConstraint("programme_id", "judge_tenant", "judge_user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    programme_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_programmes.id", ondelete="CASCADE"))
    judge_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    judge_user_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(200))

    assignments: Mapped[list[Assignment]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class Assignment(Model):
    """A judge assigned to a whole category or to one submission."""

    __tablename__ = "award_assignments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    judge_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_judges.id", ondelete="CASCADE"))
    category_id: Mapped[Optional[int]] = mapped_column(BigInteger, ForeignKey("award_categories.id",
                                                                                ondelete="CASCADE"))
    submission_id: Mapped[Optional[int]] = mapped_column(BigInteger, ForeignKey("award_submissions.id",
                                                                                  ondelete="CASCADE"))


class Recusal(Model):
    """A conflict of interest declared by a judge (on top of the automatic own-municipality one)."""

    __tablename__ = "award_recusals"
    __table_args__ = (UniqueConstraint("judge_id", "submission_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    judge_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_judges.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_submissions.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ScoreSheet(Model):
    """One judge's scores of one submission in one stage: draft until submitted, then locked."""

    __tablename__ = "award_score_sheets"
    __table_args__ = (UniqueConstraint("judge_id", "submission_id", "stage"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    judge_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_judges.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_submissions.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, server_default="")
    is_final: Mapped[bool] = mapped_column(Boolean, server_default="false")
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def values(self) -> dict[int, int]:
        return {s.criterion_id: s.value for s in self.scores}


class Score(Model):
    __tablename__ = "award_scores"

    sheet_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_score_sheets.id", ondelete="CASCADE"),
                                          primary_key=True)
    criterion_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("award_criteria.id", ondelete="CASCADE"),
                                              primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
