"""SSO models: a tenant's OpenID Connect provider, logins in progress, the public login directory."""
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
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import Model
from kernel.models_base import TenantOwned

DEFAULT_SCOPES = "openid email profile"


class SsoProvider(Model):
    """The OpenID Connect provider of one tenant (tenant-owned, RLS). The secret is stored encrypted."""

    __tablename__ = "sso_providers"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_enc: Mapped[str] = mapped_column(Text, server_default="")
    scopes: Mapped[str] = mapped_column(String(500), server_default=DEFAULT_SCOPES)
    email_claim: Mapped[str] = mapped_column(String(100), server_default="email")
    name_claim: Mapped[str] = mapped_column(String(100), server_default="name")
    groups_claim: Mapped[str] = mapped_column(String(100), server_default="groups")
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)), server_default="{}")
    # {"group name at the provider": ["member", "tenant_admin", ...]}: the tenant admin's own mapping.
    role_mapping: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    # The operators' mapping, the only source of TMG-only roles, valid for the issuer it was set for:
    # {"issuer": "...", "mapping": {"group": ["curator"]}}. The tenant admin's form never changes it.
    operator_role_mapping: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    # E-mail domains the operators verified for this tenant: an existing account may be linked to an
    # identity by its e-mail address only in one of these (and never one with a TMG-only role).
    verified_domains: Mapped[list[str]] = mapped_column(ARRAY(String(253)), server_default="{}")
    # Origin of the token endpoint the stored secret was first sent to (None: not sent yet).
    token_endpoint_pin: Mapped[Optional[str]] = mapped_column(String(500))
    is_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # True: at every login the roles named in the mappings follow the IdP's groups; False: roles are
    # set at the first login and then managed in the portal.
    roles_from_idp: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # MFA policy: acr values of which the ID token must carry one (space-separated; "" = none), and
    # whether its amr must name a second factor.
    required_acr: Mapped[str] = mapped_column(String(500), server_default="")
    require_mfa_amr: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Entra ID groups overage: the one host ("graph.microsoft.com") the portal may ask for a person's
    # groups with their access token when the token names a groups source instead ("" = refuse).
    groups_overage_host: Mapped[str] = mapped_column(String(260), server_default="")
    # How the portal authenticates at the token endpoint: "client_secret_basic" (the stored secret) or
    # "private_key_jwt" (an assertion signed with the portal's key, tenants.sso.keys; no secret needed).
    token_auth_method: Mapped[str] = mapped_column(String(30), server_default="client_secret_basic")
    # When the client secret expires at the IdP (Entra ID: at most 24 months): the admins are reminded
    # 60 and 14 days before. ``secret_expiry_reminded`` is the smallest threshold (days) already told
    # for this date (None: none yet); a new date starts again.
    client_secret_expires_on: Mapped[Optional[date]] = mapped_column(Date)
    secret_expiry_reminded: Mapped[Optional[int]] = mapped_column(Integer)
    # A person not seen at this provider (no login) for this many days is deactivated by the daily job
    # (tenants.sso.inactivity); 0 = never.
    inactivity_days: Mapped[int] = mapped_column(Integer, server_default="90")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class SsoLoginState(TenantOwned, Model):
    """A login in progress, kept on the server and consumed by the first callback (no replay)."""

    __tablename__ = "sso_login_states"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["sso_providers.tenant_id"], ondelete="CASCADE"),
    )

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    # "login", or "test": an administrator's test login against the candidate provider (shows the
    # claims received; nobody is logged in, nothing is linked).
    purpose: Mapped[str] = mapped_column(String(10), server_default="login")
    next_url: Mapped[str] = mapped_column(String(2000), server_default="/")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SsoLogoutToken(TenantOwned, Model):
    """The jti of an accepted back-channel logout token (hashed): a replay of it is refused."""

    __tablename__ = "sso_logout_tokens"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["sso_providers.tenant_id"], ondelete="CASCADE"),
    )

    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SsoDirectoryEntry(Model):
    """Public: this municipality offers SSO (read by the login picker before anyone is known)."""

    __tablename__ = "sso_directory"

    tenant_code: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SsoStandbyProvider(TenantOwned, Model):
    """A provider beside the active one (tenant-owned, RLS): the ``candidate`` being set up and tested
    before a switch, or the ``previous`` one kept disabled after a switch for a rollback.

    ``settings`` holds the values of every settings column of ``SsoProvider`` (the secret still
    encrypted), so that a switch moves a provider whole, whatever columns the settings gain.
    """

    __tablename__ = "sso_standby_providers"

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    slot: Mapped[str] = mapped_column(String(10), primary_key=True)  # candidate | previous
    settings: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    # Last successful test login (candidate): a switch needs one after the last change of the settings.
    tested_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SsoRelinkPlan(TenantOwned, Model):
    """An administrator's confirmed plan: this account re-links to the identity at ``issuer`` whose
    verified claim carries ``value`` (e-mail with email_verified, or the named claim), at that
    person's first login there. One row per account; ``linked_at`` once done."""

    __tablename__ = "sso_relink_plans"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    claim: Mapped[str] = mapped_column(String(100))  # "" = the e-mail claim (email_verified required)
    value: Mapped[str] = mapped_column(String(254))
    planned_by: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    linked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
class SsoSigningKey(Model):
    """One of the portal's own signing keys (private_key_jwt client assertions); portal-wide, not a
    tenant's. The private key is stored encrypted like the client secrets (Fernet, SSO_SECRET_KEY);
    the public key (with its self-signed certificate for Entra ID) is served at /.well-known/jwks.json.
    The application role may only read this table: keys are made and rotated by the operators (CLI)."""

    __tablename__ = "sso_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint of the public key
    alg: Mapped[str] = mapped_column(String(10), server_default="RS256")
    public_jwk: Mapped[dict] = mapped_column(JSONB)
    private_key_enc: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Signing starts here (a rotated key is published ahead, so IdPs that pin keys can be given it first).
    activates_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
