"""Standing bodies (the CIO forum, roundtables, working groups) and their member municipalities."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import db

BODY_KINDS = ("forum", "roundtable", "working_group")
MEMBER_ROLES = ("chair", "vice_chair", "member", "secretariat", "observer")


class Body(db.Model):  # type: ignore[name-defined]
    """A standing body run by TMG, e.g. 東京都・区市町村CIOフォーラム."""

    __tablename__ = "community_bodies"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), server_default="forum")
    description: Mapped[str] = mapped_column(Text, server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    members: Mapped[list[BodyMember]] = relationship(
        order_by="BodyMember.role, BodyMember.member_tenant", cascade="all, delete-orphan", lazy="selectin")

    def member_codes(self) -> set[str]:
        return {m.member_tenant for m in self.members}


class BodyMember(db.Model):  # type: ignore[name-defined]
    """A municipality's seat in a body, with its role and (as text) the person who holds it."""

    __tablename__ = "community_body_members"
    __table_args__ = (UniqueConstraint("body_id", "member_tenant"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    body_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_bodies.id", ondelete="CASCADE"))
    member_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    role: Mapped[str] = mapped_column(String(20), server_default="member")
    representative: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
