"""The tables of notifications: in-app notifications, each person's mail settings, the mail outbox.

All three are tenant-owned (``tenant_id`` first in the primary key, composite foreign key to the
recipient, the standard RLS policy): a notification, a setting and a queued mail live in the
recipient's municipality and nobody else's.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, DateTime, ForeignKeyConstraint, Identity, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import Model
from kernel.models_base import TenantOwned

EMAIL_MODES = ("immediate", "digest", "none")
OUTBOX_STATES = ("pending", "sent", "failed")


class Notification(TenantOwned, Model):
    """An in-app notification for one person: an event kind and its parameters, rendered on display
    in the reader's language (``message`` holds the text of rows written before event kinds existed)."""

    __tablename__ = "notifications"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(80), server_default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    message: Mapped[str] = mapped_column(Text, server_default="")
    url: Mapped[str] = mapped_column(String(500), server_default="")
    read_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    mailed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationSetting(TenantOwned, Model):
    """How one person wants to be told: mail immediately, in a daily digest or not at all, in which language.
    No row means the defaults (immediate, Japanese)."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(10), server_default="immediate")
    language: Mapped[str] = mapped_column(String(5), server_default="ja")
    last_digest_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OutboxMail(TenantOwned, Model):
    """A mail written in the request's transaction and sent only after it committed (kernel.notifications.outbox)."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(80), server_default="")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
