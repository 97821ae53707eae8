"""Follow-up actions of meetings: owner, due date, status, progress, links and their history."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Identity, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import db

ACTION_STATUSES = ("open", "in_progress", "done", "dropped")
OPEN_STATUSES = ("open", "in_progress")
LINK_KINDS = ("case", "engagement", "procurement")


class Action(db.Model):  # type: ignore[name-defined]
    """An action agreed at a meeting, owned by a municipality (and optionally one person of it)."""

    __tablename__ = "community_actions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    body_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_bodies.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_meetings.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[Optional[int]] = mapped_column(
        BigInteger, ForeignKey("community_agenda_items.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    owner_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    owner_user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    owner_name: Mapped[str] = mapped_column(String(200), server_default="")
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), server_default="open")
    progress: Mapped[int] = mapped_column(Integer, server_default="0")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    closed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    links: Mapped[list[ActionLink]] = relationship(order_by="ActionLink.id", cascade="all, delete-orphan",
                                                   lazy="selectin")
    updates: Mapped[list[ActionUpdate]] = relationship(order_by="ActionUpdate.id", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on < today


class ActionLink(db.Model):  # type: ignore[name-defined]
    """What an action concerns: a case, a support engagement or a procurement project, by id."""

    __tablename__ = "community_action_links"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    action_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_actions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    target_tenant: Mapped[Optional[str]] = mapped_column(String(6), ForeignKey("tenants.code"))
    target_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(300), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ActionUpdate(db.Model):  # type: ignore[name-defined]
    """One entry of an action's history (status, progress, a note), for the tracker across the series."""

    __tablename__ = "community_action_updates"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    action_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_actions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))
    progress: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, server_default="")
    author_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
