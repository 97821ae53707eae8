"""Tenants, users, memberships (roles) and server-side login sessions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.extensions import Model
from kernel.models_base import TenantOwned
from tenants.roles import Permission, permissions_for

TMG_CODE = "130001"


def is_tenant_code(code: object) -> bool:
    """A local government code as tenants are keyed: six ASCII digits (never full-width ones)."""
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


class Tenant(Model):
    """A municipality (or TMG). Reference data readable by every tenant; written only by operators."""

    __tablename__ = "tenants"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # 全国地方公共団体コード (6 digits)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # special_ward / city / town / village / prefecture
    region: Mapped[str] = mapped_column(String(20))  # ku_area / tama / islands / (tmg)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def is_tmg(self) -> bool:
        return self.code == TMG_CODE

    def name(self, locale: str = "ja") -> str:
        return self.name_en if locale == "en" else self.name_ja


@dataclass(frozen=True, slots=True)
class TenantRow:
    """A municipality as a page shows it, read as plain columns with the page's own statement (no ORM object):
    the fields and ``name`` of ``Tenant`` that pages and exports read of it."""

    code: str
    name_ja: str
    name_en: str
    kind: str
    region: str

    def name(self, locale: str = "ja") -> str:
        return self.name_en if locale == "en" else self.name_ja


class User(TenantOwned, Model):
    """A person in their one home tenant. SSO users are identified by (issuer, subject)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
        UniqueConstraint("issuer", "subject", name="uq_users_issuer_subject"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[Optional[str]] = mapped_column(String(500))
    subject: Mapped[Optional[str]] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    # Flask-Login protocol -------------------------------------------------------------
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.id}"

    @property
    def roles(self) -> set[str]:
        # The session check reads the person's roles in its one statement and leaves the memberships
        # unloaded (tenants.auth); once they are loaded, or changed, they are the truth.
        checked = self.__dict__.get("_checked_roles")
        if checked is not None and "memberships" not in self.__dict__:
            return set(checked)
        return {m.role for m in self.memberships}

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def can(self, permission: Permission) -> bool:
        return permission in permissions_for(self.roles)


class Membership(TenantOwned, Model):
    """One role of a user in their home tenant."""

    __tablename__ = "memberships"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    user: Mapped[User] = relationship(back_populates="memberships")


class AuthSession(TenantOwned, Model):
    """A login session kept on the server, so that logout and deactivation end it for real."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's secret
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    login_method: Mapped[str] = mapped_column(String(20), server_default="dev")
    id_token_hint: Mapped[Optional[str]] = mapped_column(String(4000))
    # The IdP's session id (the ID token's sid) of an SSO login: a back-channel logout token naming it
    # ends this session (tenants.sso.backchannel).
    sso_sid: Mapped[Optional[str]] = mapped_column(String(255))
