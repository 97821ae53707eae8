"""Meetings of a body: agenda items (public or closed), registrations and materials."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models.bodies import Body
from kernel.extensions import db

VISIBILITIES = ("public", "closed")
ATTENDANCE = ("in_person", "online", "declined")


class Meeting(db.Model):  # type: ignore[name-defined]
    """One meeting of a body (a 回 of the series)."""

    __tablename__ = "community_meetings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    body_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_bodies.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(300), server_default="")
    online_url: Mapped[str] = mapped_column(String(500), server_default="")
    status: Mapped[str] = mapped_column(String(12), server_default="scheduled")
    # RFC 5545 SEQUENCE: raised on every change of time or place so calendars replace the event.
    sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    body: Mapped[Body] = relationship(lazy="joined", innerjoin=True)
    items: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position, AgendaItem.id", cascade="all, delete-orphan", lazy="selectin")


class AgendaItem(db.Model):  # type: ignore[name-defined]
    """An item of the agenda: public to every municipality, or closed (title public, content members only)."""

    __tablename__ = "community_agenda_items"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    visibility: Mapped[str] = mapped_column(String(10), server_default="public")

    @property
    def is_closed(self) -> bool:
        return self.visibility == "closed"


class Registration(db.Model):  # type: ignore[name-defined]
    """A person's RSVP to a meeting (in person, online, or declined)."""

    __tablename__ = "community_registrations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_meetings.id", ondelete="CASCADE"))
    attendee_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    attendee_user_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(200))
    attendance: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def attends(self) -> bool:
        return self.attendance != "declined"


class Material(db.Model):  # type: ignore[name-defined]
    """A file of a meeting, optionally of one agenda item (a closed item's files are for members only)."""

    __tablename__ = "community_materials"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_meetings.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[Optional[int]] = mapped_column(
        BigInteger, ForeignKey("community_agenda_items.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
