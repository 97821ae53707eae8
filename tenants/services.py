"""Writers for tenants, users and memberships. Services flush and audit; they never commit."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import select

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from tenants.context import require_bound
from tenants.models import TMG_CODE, Membership, Tenant, User
from tenants.roles import Role

MUNICIPALITIES_CSV = Path(__file__).with_name("tokyo_municipalities.csv")

TMG_ROW = {
    "code": TMG_CODE, "name_ja": "東京都", "name_kana": "とうきょうと", "name_en": "Tokyo Metropolitan Government",
    "kind": "prefecture", "region": "tmg",
}


def read_municipalities(path: Path = MUNICIPALITIES_CSV) -> list[dict[str, str]]:
    """The 62 municipalities plus TMG, as rows of the reference CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            {k: row[k] for k in ("code", "name_ja", "name_kana", "name_en", "kind", "region")}
            for row in csv.DictReader(handle)
        ]
    return [TMG_ROW, *rows]


def load_tenants(path: Path = MUNICIPALITIES_CSV) -> tuple[int, int]:
    """Insert or update every tenant from the reference data; returns (created, updated)."""
    created = updated = 0
    existing = {t.code: t for t in db.session.scalars(select(Tenant))}
    for row in read_municipalities(path):
        tenant = existing.get(row["code"])
        if tenant is None:
            db.session.add(Tenant(**row))
            created += 1
        elif any(getattr(tenant, k) != v for k, v in row.items()):
            for key, value in row.items():
                setattr(tenant, key, value)
            updated += 1
    db.session.flush()
    if created or updated:
        audit.record("tenants.load", "tenant", None, after={"created": created, "updated": updated})
    return created, updated


def get_tenant(code: str) -> Optional[Tenant]:
    return db.session.get(Tenant, code)


@dataclass(frozen=True)
class NewUser:
    tenant_code: str
    email: str
    display_name: str
    roles: tuple[str, ...] = (Role.MEMBER,)
    issuer: Optional[str] = None
    subject: Optional[str] = None


def create_user(data: NewUser) -> User:
    """Create a user in their home tenant with the given roles; the caller has bound that tenant."""
    tenant = get_tenant(data.tenant_code)
    if tenant is None:
        raise ServiceError(_("No municipality with the code %(code)s is registered.", code=data.tenant_code), "tenant")
    roles = set(data.roles)
    unknown = roles - {r.value for r in Role}
    if unknown:
        raise ServiceError(_("Unknown role: %(roles)s", roles=", ".join(sorted(unknown))), "role")
    require_bound(tenant.code)
    email = data.email.strip().lower()
    if db.session.scalar(select(User).where(User.tenant_id == tenant.code, User.email == email)):
        raise ServiceError(_("%(email)s is already registered.", email=email), "email")
    user = User(tenant_id=tenant.code, email=email, display_name=data.display_name.strip() or email,
                issuer=data.issuer, subject=data.subject)
    user.memberships = [Membership(tenant_id=tenant.code, role=r) for r in sorted(roles)]
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, after={"email": email, "roles": sorted(roles)},
                 tenant_id=tenant.code)
    return user



def ensure_user(data: NewUser) -> User:
    """Idempotent create used by demo data: returns the existing user when the e-mail is known."""
    require_bound(data.tenant_code)
    user = db.session.scalar(
        select(User).where(User.tenant_id == data.tenant_code, User.email == data.email.lower())
    )
    return user if user is not None else create_user(data)


def list_users(tenant_id: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.tenant_id == tenant_id).order_by(User.display_name)))


def get_user(tenant_id: str, user_id: int) -> Optional[User]:
    return db.session.get(User, (tenant_id, user_id))


def end_all_sessions(actor: User, user: User) -> int:
    """End every login session of a user of the actor's own tenant (a leaver, a lost laptop): effective
    at their next request; the ID tokens kept as logout hints go too. Audited; returns how many ended."""
    if user.tenant_id != actor.tenant_id:
        raise ServiceError(_("Users of another municipality cannot be changed."))
    ended = _end_sessions(user)
    audit.record("user.sessions_ended", "user", user.id, after={"sessions": ended})
    return int(ended)


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate or reactivate a user of the actor's own tenant; a deactivation ends their sessions at once."""
    if user.tenant_id != actor.tenant_id:
        raise ServiceError(_("Users of another municipality cannot be changed."))
    if user.id == actor.id and not active:
        raise ServiceError(_("You cannot deactivate yourself."))
    if user.is_active == active:
        return
    if not active and Role.TENANT_ADMIN.value in user.roles and _active_admins(user.tenant_id) <= 1:
        # Nobody could manage the municipality's users any more (only the operators' CLI could help).
        raise ServiceError(_("%(name)s is the last active administrator of the municipality and cannot be "
                             "deactivated.", name=user.display_name))
    user.is_active = active
    db.session.flush()
    after: dict[str, object] = {"is_active": active}
    if not active:
        # The loader refuses an inactive user anyway; ending the server sessions too keeps the session list
        # true and drops the ID tokens kept as logout hints.
        after["sessions_ended"] = _end_sessions(user)
    audit.record("user.activate" if active else "user.deactivate", "user", user.id,
                 before={"is_active": not active}, after=after)


def _active_admins(tenant_id: str) -> int:
    from sqlalchemy import func

    return int(db.session.scalar(
        select(func.count()).select_from(User).join(
            Membership, (Membership.tenant_id == User.tenant_id) & (Membership.user_id == User.id))
        .where(User.tenant_id == tenant_id, User.is_active.is_(True), Membership.role == Role.TENANT_ADMIN.value)
    ) or 0)


def _end_sessions(user: User) -> int:
    from sqlalchemy import update

    from tenants.models import AuthSession

    result = db.session.execute(
        update(AuthSession).where(AuthSession.tenant_id == user.tenant_id, AuthSession.user_id == user.id,
                                  AuthSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC), id_token_hint=None))
    return int(getattr(result, "rowcount", 0) or 0)


ASSIGNABLE_BY_TENANT_ADMIN = {Role.MEMBER.value, Role.TENANT_ADMIN.value, Role.JUDGE.value}


def set_roles(actor: User, user: User, roles: set[str]) -> None:
    """Replace a user's roles; a tenant admin assigns member, tenant_admin and judge only."""
    if user.tenant_id != actor.tenant_id:
        raise ServiceError(_("Users of another municipality cannot be changed."))
    current = user.roles
    fixed = current - ASSIGNABLE_BY_TENANT_ADMIN  # curator/operator are granted by operators only
    requested = {r for r in roles if r in ASSIGNABLE_BY_TENANT_ADMIN}
    if not requested and not fixed:
        raise ServiceError(_("Choose at least one role."), "roles")
    if user.id == actor.id and Role.TENANT_ADMIN.value not in requested:
        raise ServiceError(_("You cannot remove your own administrator role."), "roles")
    new = requested | fixed
    if new == current:
        return
    user.memberships = [m for m in user.memberships if m.role in new] + [
        Membership(tenant_id=user.tenant_id, user_id=user.id, role=r) for r in sorted(new - current)
    ]
    db.session.flush()
    audit.record("user.roles", "user", user.id, before={"roles": sorted(current)}, after={"roles": sorted(new)})


def mark_login(user: User) -> None:
    user.last_login_at = datetime.now(UTC)
