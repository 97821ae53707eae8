"""Workload survey tables.

Cross-tenant, written only by TMG through the services: task groups and the standard task list;
``BenchmarkCell`` rows are written only by the SECURITY DEFINER function of the migration (the
application may read them). Tenant-owned (RLS): own tasks, re-classifications, rounds, departments,
entries.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    Numeric,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import Model
from kernel.models_base import TenantOwned

CLASSES = ("core", "non_core")
PEER_GROUPS = ("special_ward", "city", "town_village", "all")


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class TaskGroup(Model):
    """A group of tasks by department type (窓口, 税務, 福祉, …); the benchmark's unit."""

    __tablename__ = "workload_task_groups"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)

    def name(self, lang: str = "ja") -> str:
        return self.name_en if lang == "en" else self.name_ja


class StandardTask(Model):
    """A task of TMG's standard list with its default class (core: only a civil servant can do it)."""

    __tablename__ = "workload_standard_tasks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    group_code: Mapped[str] = mapped_column(String(20), ForeignKey("workload_task_groups.code"))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), server_default="")
    default_class: Mapped[str] = mapped_column(String(10))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = _now()


class OwnTask(TenantOwned, Model):
    """A task a municipality added to the standard list for itself."""

    __tablename__ = "workload_own_tasks"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(20), ForeignKey("workload_task_groups.code"))
    name: Mapped[str] = mapped_column(String(200))
    task_class: Mapped[str] = mapped_column(String(10))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = _now()


class TaskClass(TenantOwned, Model):
    """A municipality's own classification of a standard task (overrides the default)."""

    __tablename__ = "workload_task_classes"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    standard_task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("workload_standard_tasks.id"),
                                                  primary_key=True)
    task_class: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = _now()


class Round(TenantOwned, Model):
    """One survey of one municipality in one fiscal year (年度)."""

    __tablename__ = "workload_rounds"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    share_benchmark: Mapped[bool] = mapped_column(Boolean, server_default="false")
    share_with_tmg: Mapped[bool] = mapped_column(Boolean, server_default="false")
    opened_by_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = _now()
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    departments: Mapped[list[Department]] = relationship(
        lazy="selectin", order_by="Department.id", back_populates="round", viewonly=True)


class Department(TenantOwned, Model):
    """A department taking part in a round; it enters hours per task and submits."""

    __tablename__ = "workload_departments"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "round_id"], ["workload_rounds.tenant_id", "workload_rounds.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "contact_user_id"], ["users.tenant_id", "users.id"]),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    round_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    contact_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    updated_at: Mapped[datetime] = _now()

    round: Mapped[Round] = relationship(back_populates="departments", viewonly=True)


class Entry(TenantOwned, Model):
    """Hours per year, cases and the paper/in-person share of one task in one department."""

    __tablename__ = "workload_entries"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "round_id"], ["workload_rounds.tenant_id", "workload_rounds.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "department_id"],
                             ["workload_departments.tenant_id", "workload_departments.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "own_task_id"], ["workload_own_tasks.tenant_id", "workload_own_tasks.id"]),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    round_id: Mapped[int] = mapped_column(BigInteger)
    department_id: Mapped[int] = mapped_column(BigInteger)
    standard_task_id: Mapped[Optional[int]] = mapped_column(BigInteger, ForeignKey("workload_standard_tasks.id"))
    own_task_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    group_code: Mapped[str] = mapped_column(String(20), ForeignKey("workload_task_groups.code"))
    hours_per_year: Mapped[Decimal] = mapped_column(Numeric(12, 1))
    entered_per: Mapped[str] = mapped_column(String(5), server_default="year")
    cases_per_year: Mapped[int] = mapped_column(BigInteger, server_default="0")
    paper_share: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = _now()

    @property
    def task_key(self) -> str:
        return task_key(self.standard_task_id, self.own_task_id)


class BenchmarkCell(Model):
    """A published (or suppressed) cell of the peer benchmark: hours per case of one task group."""

    __tablename__ = "workload_benchmark_cells"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(20), ForeignKey("workload_task_groups.code"), primary_key=True)
    published: Mapped[bool] = mapped_column(Boolean)
    contributors: Mapped[Optional[int]] = mapped_column(Integer)
    q1: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    median: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    q3: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    min_contributors: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = _now()


def task_key(standard_task_id: Optional[int], own_task_id: Optional[int]) -> str:
    """One text key for a task in forms and spreadsheets: S<id> (standard) or T<id> (the municipality's own)."""
    return f"S{standard_task_id}" if standard_task_id is not None else f"T{own_task_id}"
