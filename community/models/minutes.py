"""Minutes of a meeting: one section per agenda item, attendees' amendment proposals, publication."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import db

MINUTES_STATUSES = ("draft", "review", "published")


class Minutes(db.Model):  # type: ignore[name-defined]
    """draft (secretariat writes) → review (attendees propose amendments until review_closes_at) → published."""

    __tablename__ = "community_minutes"

    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_meetings.id", ondelete="CASCADE"),
                                            primary_key=True)
    status: Mapped[str] = mapped_column(String(12), server_default="draft")
    summary: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    review_closes_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # Frozen at publication: [{"tenant": code, "name": display name, "attendance": in_person|online}]
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    sections: Mapped[list[MinuteSection]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def text_of(self, agenda_item_id: int) -> str:
        for section in self.sections:
            if section.agenda_item_id == agenda_item_id:
                return section.text
        return ""


class MinuteSection(db.Model):  # type: ignore[name-defined]
    __tablename__ = "community_minute_sections"

    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_minutes.meeting_id",
                                                                   ondelete="CASCADE"), primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_agenda_items.id",
                                                                       ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, server_default="")


class Amendment(db.Model):  # type: ignore[name-defined]
    """An attendee's proposed wording of one section, accepted or rejected by the secretariat."""

    __tablename__ = "community_amendments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_minutes.meeting_id",
                                                                   ondelete="CASCADE"))
    agenda_item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("community_agenda_items.id",
                                                                       ondelete="CASCADE"))
    proposer_tenant: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"))
    proposer_user_id: Mapped[int] = mapped_column(BigInteger)
    proposer_name: Mapped[str] = mapped_column(String(200))
    proposed_text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    decision_note: Mapped[str] = mapped_column(Text, server_default="")
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
