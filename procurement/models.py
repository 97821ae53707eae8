"""Joint procurement tables.

Cross-tenant (readable by every logged-in user, written only by the organiser through the
services): projects, items, documents, status events, vendors' quotes with their tiers, and the
pooled demand totals. Tenant-owned (RLS): a municipality's demand declaration, its lines and its
allocation after award; the organiser reads them through the ``organiser_read`` policy.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import Model
from kernel.models_base import TenantOwned

STATUSES = ("draft", "demand_survey", "survey_closed", "tendering", "awarded", "contracted", "completed",
            "cancelled")
# The only legal moves. "awarded" is reached only through the award action (it needs a quote);
# any state but the last two may be cancelled, with a reason.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("demand_survey", "cancelled"),
    "demand_survey": ("survey_closed", "cancelled"),
    "survey_closed": ("tendering", "cancelled"),
    "tendering": ("awarded", "cancelled"),
    "awarded": ("contracted", "cancelled"),
    "contracted": ("completed",),
    "completed": (),
    "cancelled": (),
}
CATEGORIES = ("e_application", "rpa", "ai_ocr", "chat", "generative_ai", "other")
UNITS = ("licence", "user", "account", "device", "year", "month", "set")
DECLARATION_STATUSES = ("interested", "pending_approval", "committed", "withdrawn")


def _now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Project(Model):
    """A joint procurement organised by TMG (its curators) or a lead municipality (its admins)."""

    __tablename__ = "procurement_projects"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organiser_tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    category: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), server_default="draft")
    survey_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    survey_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    contract_start_fy: Mapped[int] = mapped_column(Integer)
    contract_end_fy: Mapped[int] = mapped_column(Integer)
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    awarded_quote_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    awarded_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    contract_total_yen: Mapped[Optional[int]] = mapped_column(BigInteger)
    standalone_total_yen: Mapped[Optional[int]] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    reminder_days: Mapped[int] = mapped_column(Integer, server_default="3")  # days before the survey closes; 0: none
    last_reminder_on: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()

    organiser = relationship("Tenant", lazy="joined")
    items: Mapped[list[Item]] = relationship(back_populates="project", lazy="selectin", order_by="Item.position")
    events: Mapped[list[StatusEvent]] = relationship(lazy="selectin", order_by="StatusEvent.id")
    quotes: Mapped[list[Quote]] = relationship(lazy="selectin", order_by="Quote.id")
    documents: Mapped[list[Document]] = relationship(lazy="selectin", order_by="Document.id")

    def item(self, item_id: int) -> Optional[Item]:
        return next((i for i in self.items if i.id == item_id), None)

    def quote(self, quote_id: Optional[int]) -> Optional[Quote]:
        return next((q for q in self.quotes if q.id == quote_id), None)

    @property
    def awarded_quote(self) -> Optional[Quote]:
        return self.quote(self.awarded_quote_id)


class Item(Model):
    __tablename__ = "procurement_items"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))

    project: Mapped[Project] = relationship(back_populates="items")


class Document(Model):
    """A specification document (仕様書) of a project, stored in the database."""

    __tablename__ = "procurement_documents"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                                            index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = _now_column()


class StatusEvent(Model):
    """One step of a project's timeline."""

    __tablename__ = "procurement_status_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                                            index=True)
    from_status: Mapped[Optional[str]] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    actor_tenant_id: Mapped[Optional[str]] = mapped_column(String(6))
    actor_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = _now_column()


class Quote(Model):
    """A vendor's quote: per item, a set-up fee and volume tiers."""

    __tablename__ = "procurement_quotes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                                            index=True)
    vendor_name: Mapped[str] = mapped_column(String(200))
    vendor_identifier: Mapped[Optional[str]] = mapped_column(String(13))  # 法人番号
    notes: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now_column()

    lines: Mapped[list[QuoteLine]] = relationship(lazy="selectin", order_by="QuoteLine.item_id")


class QuoteLine(Model):
    __tablename__ = "procurement_quote_lines"

    quote_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_quotes.id", ondelete="CASCADE"),
                                          primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_items.id", ondelete="CASCADE"),
                                         primary_key=True)
    setup_fee_yen: Mapped[int] = mapped_column(BigInteger, server_default="0")

    tiers: Mapped[list[QuoteTier]] = relationship(lazy="selectin", order_by="QuoteTier.min_quantity")


class QuoteTier(Model):
    __tablename__ = "procurement_quote_tiers"
    __table_args__ = (
        ForeignKeyConstraint(["quote_id", "item_id"], ["procurement_quote_lines.quote_id",
                                                       "procurement_quote_lines.item_id"], ondelete="CASCADE",
                             name="fk_procurement_quote_tiers_quote_line"),
    )

    quote_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    min_quantity: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_price_yen: Mapped[int] = mapped_column(BigInteger)


class DemandTotal(Model):
    """The pooled demand of one item: the only figures of declarations that everyone may see."""

    __tablename__ = "procurement_demand_totals"

    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                                            primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_items.id", ondelete="CASCADE"),
                                         primary_key=True)
    declared_quantity: Mapped[int] = mapped_column(BigInteger, server_default="0")
    committed_quantity: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Participation(Model):
    """How many municipalities declared and committed (counts only)."""

    __tablename__ = "procurement_participation"

    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                                            primary_key=True)
    declared: Mapped[int] = mapped_column(Integer, server_default="0")
    committed: Mapped[int] = mapped_column(Integer, server_default="0")


class Declaration(TenantOwned, Model):
    """A municipality's demand for one project (one row per municipality and project)."""

    __tablename__ = "procurement_declarations"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_projects.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), server_default="interested")
    max_budget_yen: Mapped[Optional[int]] = mapped_column(BigInteger)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(30), server_default="")
    remarks: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    updated_by_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    approved_by_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    approved_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()

    tenant = relationship("Tenant", lazy="joined")
    lines: Mapped[list[DeclarationLine]] = relationship(lazy="selectin", order_by="DeclarationLine.item_id",
                                                        cascade="all, delete-orphan")

    def quantities(self) -> dict[int, int]:
        return {line.item_id: line.quantity for line in self.lines}


class DeclarationLine(TenantOwned, Model):
    __tablename__ = "procurement_declaration_lines"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["procurement_declarations.tenant_id",
                                                           "procurement_declarations.project_id"],
                             ondelete="CASCADE", name="fk_procurement_declaration_lines_declaration"),
    )

    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_items.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


class Allocation(TenantOwned, Model):
    """A participant's share of the awarded contract (written by the organiser on award)."""

    __tablename__ = "procurement_allocations"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "project_id"], ["procurement_declarations.tenant_id",
                                                           "procurement_declarations.project_id"],
                             name="fk_procurement_allocations_declaration"),
    )

    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    quote_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("procurement_quotes.id"))
    total_yen: Mapped[int] = mapped_column(BigInteger)
    standalone_yen: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[dict[str, Any]] = mapped_column(JSONB)  # item id → quantity, unit price, amount, set-up share
    created_at: Mapped[datetime] = _now_column()

    tenant = relationship("Tenant", primaryjoin="foreign(Allocation.tenant_id) == Tenant.code", lazy="joined",
                          viewonly=True)

    @property
    def savings_yen(self) -> int:
        return self.standalone_yen - self.total_yen
