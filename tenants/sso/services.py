"""Writers and rules of SSO: provider settings per tenant, logins in progress, user provisioning.

Services flush and audit; they never commit (one commit per request at its boundary).
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from tenants.context import require_bound
from tenants.models import TMG_CODE, Membership, Tenant, User
from tenants.roles import Role
from tenants.services import NewUser, create_user, get_tenant
from tenants.sso.crypto import SecretKeyError, encrypt_secret
from tenants.sso.keys import has_signing_key
from tenants.sso.models import DEFAULT_SCOPES, SsoDirectoryEntry, SsoLoginState, SsoProvider
from tenants.sso.oidc import SsoError
from tenants.sso.outbound import OutboundError, check_url, current_policy
from tenants.sso.overage import valid_host as valid_overage_host

LOGIN_STATE_TTL = timedelta(minutes=10)
# What a municipality's own settings may grant; curator and operator exist only at TMG and are
# mapped there by the operators (CLI), never by a tenant admin.
TENANT_MAPPABLE_ROLES = frozenset({Role.MEMBER.value, Role.TENANT_ADMIN.value, Role.JUDGE.value})
# Roles that exist only at TMG and act across municipalities: they never come from a tenant's own
# group mapping, and an account holding one is never linked to an identity by its e-mail address.
# ("supporter" is listed ahead of its role so that it is covered from the day it exists.)
TMG_ONLY_ROLES = frozenset({Role.CURATOR.value, Role.OPERATOR.value, "supporter"})
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:./-]{1,100}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass
class ProviderSettings:
    """Input of save_provider. ``client_secret`` None keeps the stored secret."""

    issuer: str
    client_id: str
    client_secret: Optional[str] = None
    scopes: str = DEFAULT_SCOPES
    email_claim: str = "email"
    name_claim: str = "name"
    groups_claim: str = "groups"
    allowed_domains: list[str] = field(default_factory=list)
    role_mapping: dict[str, list[str]] = field(default_factory=dict)
    is_enabled: bool = True
    roles_from_idp: bool = False
    required_acr: str = ""
    require_mfa_amr: bool = False
    groups_overage_host: str = ""
    inactivity_days: int = 90
    # Operators only (None keeps the stored value): e-mail domains verified for the tenant.
    verified_domains: Optional[list[str]] = None
    # "client_secret_basic" or "private_key_jwt" (tenants.sso.client_auth); the secret's expiry date.
    token_auth_method: str = "client_secret_basic"
    client_secret_expires_on: Optional[date] = None


def mappable_roles(tenant_code: str, by_operator: bool) -> frozenset[str]:
    if by_operator and tenant_code == TMG_CODE:
        return frozenset(r.value for r in Role)
    return TENANT_MAPPABLE_ROLES


def parse_role_mapping(text: str, allowed: frozenset[str]) -> dict[str, list[str]]:
    """``group = role, role`` per line → {group: [roles]}; raises ServiceError naming the bad line."""
    mapping: dict[str, list[str]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        group, sep, roles_text = line.rpartition("=")
        group = group.strip()
        roles = [r.strip() for r in roles_text.replace("、", ",").split(",") if r.strip()]
        if not sep or not group or not roles or len(group) > 200:
            raise ServiceError(_("Line %(line)s: write it as \"group = role, role\".", line=number), "role_mapping")
        unknown = [r for r in roles if r not in allowed]
        if unknown:
            raise ServiceError(_("Line %(line)s: these roles cannot be mapped: %(roles)s", line=number,
                                 roles=", ".join(unknown)), "role_mapping")
        mapping[group] = sorted(set(mapping.get(group, [])) | set(roles))
    return mapping


def format_role_mapping(mapping: dict[str, list[str]]) -> str:
    return "\n".join(f"{group} = {', '.join(roles)}" for group, roles in sorted(mapping.items()))


def parse_domains(text: str) -> list[str]:
    """Allowed e-mail domains, separated by commas, spaces or lines; raises ServiceError on a bad one."""
    domains = []
    for item in re.split(r"[\s,、]+", (text or "").strip().lower()):
        if not item:
            continue
        item = item.lstrip("@")
        if not _DOMAIN.match(item):
            raise ServiceError(_("This is not an e-mail domain: %(domain)s", domain=item), "allowed_domains")
        domains.append(item)
    return sorted(set(domains))


def _issuer_allowed(issuer: str) -> bool:
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or current_app.config.get("PORTAL_ENV") == "production":
        return False
    # Plain http only for a provider on this machine (development and tests).
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _issuer_address_allowed(issuer: str) -> bool:
    """No issuer at an internal address (a literal private, loopback, link-local or metadata address, or
    localhost) unless the operators allow-listed it; the connection check stops host names that resolve
    to one, this gives the admin the reason at once."""
    policy = current_policy()
    try:
        check_url(issuer, policy)
    except OutboundError:
        return False
    host = (urlsplit(issuer).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return policy.address_allowed(ipaddress.ip_address("127.0.0.1"))
    return True


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def validate_settings(tenant_code: str, data: ProviderSettings, by_operator: bool) -> None:
    """Refuse settings that cannot work or would be unsafe; the message names the field."""
    texts = {"issuer": data.issuer, "client_id": data.client_id, "client_secret": data.client_secret or "",
             "scopes": data.scopes, "email_claim": data.email_claim, "name_claim": data.name_claim,
             "groups_claim": data.groups_claim, "role_mapping": "".join(data.role_mapping)}
    for name, value in texts.items():
        if _has_control(value):
            raise ServiceError(_("Control characters (line breaks, NUL …) cannot be used here."), name)
    if not data.issuer or len(data.issuer) > 500 or not _issuer_allowed(data.issuer):
        raise ServiceError(_("The issuer must be a URL starting with https:// (http only for 127.0.0.1 in "
                             "development)."), "issuer")
    if not _issuer_address_allowed(data.issuer):
        raise ServiceError(_("The issuer is at an internal network address, which the portal does not connect to. "
                             "If your identity provider is inside a closed network (LGWAN), ask the portal's "
                             "operators to add its address range to SSO_OUTBOUND_ALLOW."), "issuer")
    if not data.client_id.strip() or len(data.client_id) > 255:
        raise ServiceError(_("Enter the client ID (at most 255 characters)."), "client_id")
    if data.client_secret is not None and len(data.client_secret) > 1000:
        raise ServiceError(_("The client secret is too long."), "client_secret")
    scopes = data.scopes.split()
    if "openid" not in scopes or len(data.scopes) > 500 or any(not re.match(r"^[\x21-\x7e]+$", s) for s in scopes):
        raise ServiceError(_("The scopes must include openid (separated by spaces)."), "scopes")
    if data.token_auth_method not in ("client_secret_basic", "private_key_jwt"):
        raise ServiceError(_("Choose how the portal authenticates at the token endpoint."), "token_auth_method")
    if len(data.required_acr or "") > 500 or any(not re.match(r"^[\x21-\x7e]+$", v)
                                                 for v in (data.required_acr or "").split()):
        raise ServiceError(_("The acr values are separated by spaces (at most 500 characters)."), "required_acr")
    for name in ("email_claim", "name_claim", "groups_claim"):
        if not _CLAIM_NAME.match(getattr(data, name)):
            raise ServiceError(_("A claim name has at most 100 letters, digits and _ : . / -"), name)
    if data.groups_overage_host and not valid_overage_host(data.groups_overage_host):
        raise ServiceError(_("Enter a host name only (e.g. graph.microsoft.com), without https:// or a path."),
                           "groups_overage_host")
    if not isinstance(data.inactivity_days, int) or not 0 <= data.inactivity_days <= 3650:
        raise ServiceError(_("Enter a number of days from 0 (never) to 3650."), "inactivity_days")
    allowed = mappable_roles(tenant_code, by_operator)
    for group, roles in data.role_mapping.items():
        if not group or set(roles) - allowed or not roles:
            raise ServiceError(_("Group %(group)s is mapped to roles that cannot be mapped.", group=group),
                               "role_mapping")
    if urlsplit(data.issuer).hostname == "accounts.google.com" and not data.allowed_domains:
        # Every Google account in the world is accepted by accounts.google.com: the domain is the boundary.
        raise ServiceError(_("Google Workspace needs the allowed e-mail domains."), "allowed_domains")


def get_provider(tenant_code: str) -> Optional[SsoProvider]:
    """The provider settings of the bound tenant (the login routes bind it from their URL, the admin
    pages through the session, commands with as_tenant)."""
    require_bound(tenant_code)
    return db.session.get(SsoProvider, tenant_code)


def _public_view(provider: SsoProvider) -> dict[str, Any]:
    return {
        "issuer": provider.issuer, "client_id": provider.client_id, "scopes": provider.scopes,
        "email_claim": provider.email_claim, "name_claim": provider.name_claim,
        "groups_claim": provider.groups_claim, "allowed_domains": list(provider.allowed_domains or []),
        "role_mapping": dict(provider.role_mapping or {}), "is_enabled": provider.is_enabled,
        "roles_from_idp": provider.roles_from_idp, "required_acr": provider.required_acr,
        "require_mfa_amr": provider.require_mfa_amr,
        "groups_overage_host": provider.groups_overage_host, "inactivity_days": provider.inactivity_days,
        "operator_role_mapping": dict(provider.operator_role_mapping or {}),
        "verified_domains": list(provider.verified_domains or []),
        "has_secret": bool(provider.client_secret_enc),
        "token_auth_method": provider.token_auth_method,
        "client_secret_expires_on": (provider.client_secret_expires_on.isoformat()
                                     if provider.client_secret_expires_on else None),
    }


def operator_mapping(provider: SsoProvider) -> dict[str, list[str]]:
    """The operators' group mapping, if it was set for the provider's current issuer (else nothing)."""
    stored = provider.operator_role_mapping or {}
    if stored.get("issuer") != provider.issuer or not isinstance(stored.get("mapping"), dict):
        return {}
    return {str(g): list(r) for g, r in stored["mapping"].items() if isinstance(r, list)}


def full_mapping(provider: SsoProvider) -> dict[str, list[str]]:
    """The tenant's own mapping and the operators' (valid) one together, as the CLI shows and edits it."""
    merged = {g: list(r) for g, r in (provider.role_mapping or {}).items()}
    for group, roles in operator_mapping(provider).items():
        merged[group] = sorted(set(merged.get(group, [])) | set(roles))
    return merged


def save_provider(tenant_code: str, data: ProviderSettings, *, by_operator: bool = False) -> SsoProvider:
    """Create or update a tenant's provider settings; audited (the secret itself never is)."""
    tenant = get_tenant(tenant_code)
    if tenant is None:
        raise ServiceError(_("No municipality with code %(code)s is registered.", code=tenant_code), "tenant")
    data.issuer = data.issuer.strip()
    data.client_id = data.client_id.strip()
    data.scopes = " ".join(data.scopes.split())
    data.required_acr = " ".join((data.required_acr or "").split())
    validate_settings(tenant_code, data, by_operator)
    provider = get_provider(tenant_code)
    before = _public_view(provider) if provider is not None else None
    if data.token_auth_method == "private_key_jwt" and (provider is None or provider.token_auth_method
                                                        != "private_key_jwt") and not has_signing_key():
        # Switching now would refuse every login (signing_key_missing) until the operators make the key.
        raise ServiceError(_("The portal has no signing key yet, so private_key_jwt cannot be used. Ask the "
                             "portal's operators to create one (flask sso keys rotate)."), "token_auth_method")
    if provider is not None and provider.client_secret_enc and data.client_secret is None \
            and provider.issuer != data.issuer:
        # The secret was issued by the old provider: it must never be sent to another one (the next
        # login would post it to whatever token endpoint the new issuer's document names).
        raise ServiceError(_("The issuer changed, so the stored client secret cannot be used with it and will "
                             "be removed. Enter the client secret issued by the new provider (or tick "
                             "\"Remove the stored client secret\" for a public client)."), "client_secret")
    if provider is None:
        provider = SsoProvider(tenant_id=tenant_code, client_secret_enc="")
        db.session.add(provider)
    for name in ("issuer", "client_id", "scopes", "email_claim", "name_claim", "groups_claim", "is_enabled",
                 "roles_from_idp", "required_acr", "require_mfa_amr", "groups_overage_host", "token_auth_method",
                 "inactivity_days"):
        setattr(provider, name, getattr(data, name))
    if provider.client_secret_expires_on != data.client_secret_expires_on:
        # A new expiry date (usually with a new secret): its 60- and 14-day reminders are due again.
        provider.client_secret_expires_on = data.client_secret_expires_on
        provider.secret_expiry_reminded = None
    provider.allowed_domains = list(data.allowed_domains)
    if by_operator:
        # The operators' entries naming a TMG-only role are kept apart, bound to this issuer: the tenant
        # admin's form neither sees them as its own nor can delete them, and a new issuer voids them.
        operator = {k: sorted(set(v)) for k, v in data.role_mapping.items() if set(v) & TMG_ONLY_ROLES}
        provider.role_mapping = {k: list(v) for k, v in data.role_mapping.items() if k not in operator}
        provider.operator_role_mapping = {"issuer": data.issuer, "mapping": operator} if operator else {}
        if data.verified_domains is not None:
            provider.verified_domains = list(data.verified_domains)
    else:
        provider.role_mapping = {k: list(v) for k, v in data.role_mapping.items()}
    secret_changed = data.client_secret is not None
    if secret_changed:
        provider.token_endpoint_pin = None
    if secret_changed:
        try:
            provider.client_secret_enc = encrypt_secret(data.client_secret or "")
        except SecretKeyError as error:
            raise ServiceError(_("The client secret cannot be stored: SSO_SECRET_KEY is missing or invalid."),
                               "client_secret") from error
    provider.updated_at = datetime.now(UTC)
    db.session.flush()
    _sync_directory(tenant_code, provider.is_enabled)
    after = _public_view(provider)
    if before != after or secret_changed:
        audit.record("sso.settings", "sso_provider", tenant_code, before=before,
                     after={**after, "secret_changed": secret_changed, "via": "cli" if by_operator else "web"},
                     tenant_id=tenant_code)
    return provider


def void_secret(tenant_code: str, detail: str) -> None:
    """Clear the stored client secret (and its pin): it must be entered again. Audited."""
    provider = get_provider(tenant_code)
    if provider is None or not provider.client_secret_enc:
        return
    provider.client_secret_enc = ""
    provider.token_endpoint_pin = None
    db.session.flush()
    audit.record("sso.secret_voided", "sso_provider", tenant_code, after={"reason": detail[:300]},
                 tenant_id=tenant_code)


def _sync_directory(tenant_code: str, enabled: bool) -> None:
    listed = db.session.get(SsoDirectoryEntry, tenant_code) is not None
    if enabled and not listed:
        db.session.add(SsoDirectoryEntry(tenant_code=tenant_code))
    elif not enabled and listed:
        db.session.execute(delete(SsoDirectoryEntry).where(SsoDirectoryEntry.tenant_code == tenant_code))
    db.session.flush()


def sso_tenants() -> list[Tenant]:
    """Municipalities whose login goes through their provider (the public directory), by kana."""
    return list(db.session.scalars(select(Tenant).join(SsoDirectoryEntry, SsoDirectoryEntry.tenant_code == Tenant.code)
                                   .where(Tenant.is_active.is_(True)).order_by(Tenant.name_kana)))


# Logins in progress -------------------------------------------------------------------------

def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str


def begin_login(tenant_code: str, next_url: str, purpose: str = "login") -> PendingLogin:
    """Remember a new login on the server: random state, nonce and PKCE verifier (``purpose`` "test": an
    administrator's test login against the candidate provider)."""
    require_bound(tenant_code)
    now = datetime.now(UTC)
    db.session.execute(delete(SsoLoginState).where(SsoLoginState.tenant_id == tenant_code,
                                                   SsoLoginState.created_at < now - LOGIN_STATE_TTL))
    pending = PendingLogin(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64))
    db.session.add(SsoLoginState(tenant_id=tenant_code, state_hash=_hash(pending.state), nonce=pending.nonce,
                                 code_verifier=pending.code_verifier, next_url=next_url[:2000], created_at=now,
                                 purpose=purpose))
    db.session.flush()
    return pending


def consume_login(tenant_code: str, state: str) -> Optional[SsoLoginState]:
    """Take the login of this state out of the store (once); None if unknown, used or expired."""
    require_bound(tenant_code)
    row = db.session.get(SsoLoginState, (tenant_code, _hash(state)))
    if row is None:
        return None
    db.session.delete(row)
    db.session.flush()
    if datetime.now(UTC) - row.created_at > LOGIN_STATE_TTL:
        return None
    return row


def forget_login(tenant_code: str, state: str) -> None:
    """Delete a login state outright (after a refused callback, in its own transaction)."""
    require_bound(tenant_code)
    db.session.execute(delete(SsoLoginState).where(SsoLoginState.tenant_id == tenant_code,
                                                   SsoLoginState.state_hash == _hash(state)))


# Provisioning --------------------------------------------------------------------------------

def claim_value(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested objects when no claim has that exact name
    (Keycloak: ``realm_access.roles``, ``resource_access.<client>.roles``; a URI-named claim with dots
    is found by its exact name first)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _claim(claims: dict[str, Any], name: str) -> str:
    value = claim_value(claims, name)
    return value.strip() if isinstance(value, str) else ""


def check_groups_overage(provider: SsoProvider, claims: dict[str, Any]) -> None:
    """Entra ID leaves the groups out of the token when a person has too many (over 200) and names a
    Graph source instead (``_claim_names``/``hasgroups``): the roles cannot be decided from the token,
    so a municipality that maps groups refuses the login instead of silently making a member."""
    if not (provider.role_mapping or operator_mapping(provider)) or claim_value(claims, provider.groups_claim):
        return
    names = claims.get("_claim_names")
    if (isinstance(names, dict) and provider.groups_claim in names) or claims.get("hasgroups") is True:
        raise SsoError("groups_overage", "the provider sent a groups overage reference instead of the groups")


def roles_from_claims(provider: SsoProvider, claims: dict[str, Any]) -> set[str]:
    """Roles mapped from the groups claim; member when no group matches."""
    return _mapped_roles(provider, claims) or {Role.MEMBER.value}


def managed_roles(provider: SsoProvider) -> set[str]:
    """The roles the mappings can grant: with roles_from_idp, exactly these follow the IdP's groups."""
    own = {r for roles in (provider.role_mapping or {}).values() for r in roles} & TENANT_MAPPABLE_ROLES
    operators = {r for roles in operator_mapping(provider).values() for r in roles}
    return (own | operators) & mappable_roles(provider.tenant_id, by_operator=True)


def _mapped_roles(provider: SsoProvider, claims: dict[str, Any]) -> set[str]:
    groups = claim_value(claims, provider.groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    roles: set[str] = set()
    own = provider.role_mapping or {}
    operators = operator_mapping(provider)
    if isinstance(groups, list):
        for group in groups:
            if isinstance(group, str):
                # The tenant's own mapping grants the tenant roles only, whatever is stored in it.
                roles |= set(own.get(group, [])) & TENANT_MAPPABLE_ROLES
                roles |= set(operators.get(group, []))
    return roles & mappable_roles(provider.tenant_id, by_operator=True)


def sync_roles(provider: SsoProvider, user: User, claims: dict[str, Any]) -> None:
    """roles_from_idp: the user's roles that the mappings name follow the groups of this login (the
    others, given in the portal, stay); audited, and the tenant admins are told."""
    managed = managed_roles(provider)
    if not provider.roles_from_idp or not managed:
        return
    check_groups_overage(provider, claims)
    current = set(user.roles)
    wanted = (current - managed) | (_mapped_roles(provider, claims) & managed) or {Role.MEMBER.value}
    if wanted == current:
        return
    user.memberships = [Membership(tenant_id=user.tenant_id, role=role) for role in sorted(wanted)]
    db.session.flush()
    audit.record("user.sso_roles", "user", user.id, before={"roles": sorted(current)},
                 after={"roles": sorted(wanted)}, tenant_id=user.tenant_id)
    from kernel.notifications import notify

    notify("tenants.sso_roles_changed", url=f"/admin/users/{user.id}", tenant_id=user.tenant_id,
           name=user.display_name, roles=", ".join(sorted(wanted)))


# amr values (RFC 8176) that name a second factor or a strong single one.
MFA_AMR = frozenset({"mfa", "otp", "hwk", "sms", "tel", "fpt", "face", "iris", "retina", "sc", "vbm"})


def check_mfa(provider: SsoProvider, claims: dict[str, Any]) -> None:
    """The municipality's MFA policy against the ID token's acr and amr; SsoError("mfa_required")."""
    accepted = provider.required_acr.split() if provider.required_acr else []
    if accepted and claims.get("acr") not in accepted:
        raise SsoError("mfa_required", f"acr {str(claims.get('acr'))[:100]!r} not in {accepted}")
    if provider.require_mfa_amr:
        amr = claims.get("amr")
        methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
        if not methods & MFA_AMR:
            raise SsoError("mfa_required", f"amr {sorted(methods)[:10]} names no second factor")


def _check_domain(provider: SsoProvider, email: str, claims: dict[str, Any]) -> None:
    domains = list(provider.allowed_domains or [])
    if not domains:
        return
    if not email or "@" not in email or claims.get("email_verified") is False:
        raise SsoError("email_not_allowed", "no verified e-mail address")
    if email.rsplit("@", 1)[1] not in domains:
        raise SsoError("email_not_allowed", f"domain of {email} not allowed")


def provision_user(provider: SsoProvider, claims: dict[str, Any]) -> User:
    """The user of (issuer, subject) in this tenant; created with the mapped roles at first login."""
    tenant_code, issuer, subject = provider.tenant_id, provider.issuer, str(claims["sub"])
    require_bound(tenant_code)
    email = _claim(claims, provider.email_claim).lower()[:254]
    name = _claim(claims, provider.name_claim)[:200] or email
    _check_domain(provider, email, claims)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant_code, User.issuer == issuer,
                                                User.subject == subject))
    if user is not None:
        if not user.is_active:
            raise SsoError("user_deactivated", f"user {user.id}")
        sync_roles(provider, user, claims)
        if name and user.display_name != name:
            audit.record("user.sso_profile", "user", user.id, before={"display_name": user.display_name},
                         after={"display_name": name}, tenant_id=tenant_code)
            user.display_name = name
        return user
    from tenants.sso.migration import relink_at_login  # the re-link plans of a provider change

    relinked = relink_at_login(provider, claims)
    if relinked is not None:
        return relinked
    if not email or "@" not in email:
        raise SsoError("email_missing", f"claim {provider.email_claim!r} missing")
    existing = db.session.scalar(select(User).where(User.tenant_id == tenant_code, User.email == email))
    if existing is not None:
        how = _link_allowed(provider, existing, email, claims)
        if not existing.is_active:
            raise SsoError("user_deactivated", f"user {existing.id}")
        _link_identity(existing, issuer, subject)
        audit.record("user.sso_link", "user", existing.id, after={"issuer": issuer, "subject": subject, "via": how},
                     tenant_id=tenant_code)
        return existing
    check_groups_overage(provider, claims)  # the roles of a new account come from its groups
    roles = roles_from_claims(provider, claims)
    nested = db.session.begin_nested()
    try:
        user = create_user(NewUser(tenant_code, email, name, tuple(sorted(roles)), issuer, subject))
    except IntegrityError as error:  # this identity already belongs to another municipality
        nested.rollback()
        raise SsoError("account_conflict", "identity registered in another tenant") from error
    except ServiceError as error:
        nested.rollback()
        raise SsoError("account_conflict", error.message) from error
    nested.commit()
    audit.record("user.sso_provision", "user", user.id, after={"issuer": issuer, "roles": sorted(roles)},
                 tenant_id=tenant_code)
    return user


def _link_allowed(provider: SsoProvider, user: User, email: str, claims: dict[str, Any]) -> str:
    """Whether an existing account (same e-mail, no identity yet) may be linked to this login; how.

    Only (1) an account an administrator pre-provisioned (or invited) for this very issuer, when the provider
    verified the address or its domain is verified for the tenant, or (2) one whose e-mail
    domain the operators verified for the tenant, with a verified address, holding no TMG-only role.
    A tenant's own IdP vouching for an address is not enough: its admin could point the settings at an
    IdP they control and take over any account of the tenant (the operator accounts of TMG included).
    """
    if user.subject is not None:
        raise SsoError("account_conflict", f"user {user.id} is linked to another identity")
    domain = email.rsplit("@", 1)[1]
    if user.issuer is not None:
        if user.issuer != provider.issuer:
            raise SsoError("account_conflict", f"user {user.id} is expected at another issuer")
        # Prepared (invited) for this issuer: the e-mail claim is what picks the account, so it must be one the
        # provider verified — or in a domain the operators verified for the tenant (its policy: the provider is
        # authoritative there, e.g. Entra ID, which sends no email_verified). Otherwise an identity whose
        # address is self-asserted would take over an invited account before its owner logs in.
        if claims.get("email_verified") is not True and domain not in (provider.verified_domains or []):
            raise SsoError("link_not_allowed", f"user {user.id}: prepared, but e-mail not verified by the provider")
        return "pre-provisioned"
    if claims.get("email_verified") is not True:
        raise SsoError("link_not_allowed", f"user {user.id}: e-mail not verified by the provider")
    if domain not in (provider.verified_domains or []):
        raise SsoError("link_not_allowed", f"user {user.id}: domain {domain} not verified for the tenant")
    if user.roles & TMG_ONLY_ROLES:
        raise SsoError("link_not_allowed", f"user {user.id} holds a TMG-only role")
    return "verified-domain"


def expect_identity(tenant_code: str, email: str, *, by_operator: bool) -> User:
    """Pre-provision an account for the tenant's current issuer: its first login there links it.

    A tenant admin may do so for accounts without a TMG-only role; the operators for any account.
    """
    provider = get_provider(tenant_code)
    if provider is None:
        raise ServiceError(_("Save the settings first."), "email")
    user = db.session.scalar(select(User).where(User.tenant_id == tenant_code, User.email == email.strip().lower()))
    if user is None:
        raise ServiceError(_("%(email)s is not registered in this municipality.", email=email[:254]), "email")
    if user.subject is not None:
        raise ServiceError(_("This account is already linked to an identity."), "email")
    if user.roles & TMG_ONLY_ROLES and not by_operator:
        raise ServiceError(_("Accounts with a TMG-only role are prepared for SSO by the portal's operators."),
                           "email")
    before = user.issuer
    user.issuer = provider.issuer
    db.session.flush()
    audit.record("user.sso_expect", "user", user.id, before={"issuer": before}, after={"issuer": provider.issuer},
                 tenant_id=tenant_code)
    return user


def _link_identity(user: User, issuer: str, subject: str) -> None:
    nested = db.session.begin_nested()  # flushes what is pending first, then the savepoint
    user.issuer, user.subject = issuer, subject
    try:
        db.session.flush()
    except IntegrityError as error:
        nested.rollback()
        raise SsoError("account_conflict", "identity registered in another tenant") from error
    nested.commit()
