"""A municipality's DX推進員 roster: departments, promoters with their terms, and their contacts."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, Date, DateTime, ForeignKeyConstraint, Identity, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import db
from kernel.models_base import TenantOwned


class RosterDepartment(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A department (部・課) of the municipality that should have at least one DX推進員."""

    __tablename__ = "community_departments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    promoters: Mapped[list[Promoter]] = relationship(order_by="Promoter.term_starts_on, Promoter.id",
                                                     lazy="selectin", viewonly=True)

    def current(self, today: date) -> list[Promoter]:
        return [p for p in self.promoters if p.is_current(today)]


class Promoter(TenantOwned, db.Model):  # type: ignore[name-defined]
    """One person's term as DX推進員 of a department; a hand-over ends it and names the successor."""

    __tablename__ = "community_promoters"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "department_id"], ["community_departments.tenant_id",
                                                              "community_departments.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"]),
        ForeignKeyConstraint(["tenant_id", "successor_id"], ["community_promoters.tenant_id",
                                                             "community_promoters.id"]),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    department_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), server_default="")
    term_starts_on: Mapped[date] = mapped_column(Date)
    term_ends_on: Mapped[Optional[date]] = mapped_column(Date)
    ended_on: Mapped[Optional[date]] = mapped_column(Date)
    successor_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    contacts: Mapped[list[PromoterContact]] = relationship(order_by="PromoterContact.id", lazy="selectin",
                                                           viewonly=True)

    def is_current(self, today: date) -> bool:
        return self.ended_on is None and self.term_starts_on <= today

    def term_ending(self, today: date, days: int = 45) -> bool:
        """The term ends within ``days`` and nobody has been named to follow."""
        return (self.ended_on is None and self.successor_id is None and self.term_ends_on is not None
                and (self.term_ends_on - today).days <= days)


class PromoterContact(TenantOwned, db.Model):  # type: ignore[name-defined]
    """A contact a promoter keeps (a vendor, a counterpart elsewhere): it moves with the hand-over."""

    __tablename__ = "community_promoter_contacts"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "promoter_id"], ["community_promoters.tenant_id",
                                                            "community_promoters.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    promoter_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), server_default="")
    note: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
