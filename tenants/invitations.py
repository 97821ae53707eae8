"""A tenant admin invites a person: the account is made at once and the person told how to log in.

The account is pre-created in the admin's own municipality with the roles the admin may grant
(``ASSIGNABLE_BY_TENANT_ADMIN``: member, administrator, judge — never a TMG-only role such as curator,
supporter or operator, which the portal's operators grant, because an account holding one must never be
linked to an identity by its e-mail address; see ``tenants.sso.services._link_allowed``).

When the municipality has single sign-on, the account is prepared for its current issuer (exactly as
``flask sso expect`` does): the person's first login there links the identity (issuer + subject) to this
account — only when the identity provider says the e-mail address is verified, or the operators verified
the address's domain for the municipality (the tenant's policy). Without single sign-on the mail says so,
and that the administrator will tell the person how to log in.
"""
from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import SUPPORTED
from kernel.i18n import service_gettext as _
from kernel.notifications import N_, notify, people_in_param, register_event
from tenants.models import Membership, User
from tenants.services import ASSIGNABLE_BY_TENANT_ADMIN

# The invitation (the mail is the point; the same text waits in the portal for the first login).
register_event("tenants.user_invited", people_in_param("invitee"), N_(
    "%(by)s (%(tenant)s) invited you to Yokoten, the portal where Tokyo's municipalities share their DX work. "
    "Log in with the link below through %(tenant)s's single sign-on, with the account of your address "
    "%(email)s: your first login there links it to the account prepared for you."), catalogue="tenants")
register_event("tenants.user_invited_no_sso", people_in_param("invitee"), N_(
    "%(by)s (%(tenant)s) invited you to Yokoten, the portal where Tokyo's municipalities share their DX work. "
    "%(tenant)s has not set up single sign-on for the portal yet, so you cannot log in yet: %(by)s will tell "
    "you when and how you can (the login page is linked below)."), catalogue="tenants")

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def _check(email: str, name: str, roles: set[str], language: str) -> None:
    if not email:
        raise ServiceError(_("Enter the e-mail address."), "email")
    if len(email) > 254 or not _EMAIL.match(email):
        raise ServiceError(_("This is not an e-mail address: %(email)s", email=email[:254]), "email")
    if not name:
        raise ServiceError(_("Enter the name."), "display_name")
    if len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ServiceError(_("The name has at most 200 characters, on one line."), "display_name")
    if not roles:
        raise ServiceError(_("Choose at least one role."), "roles")
    refused = roles - ASSIGNABLE_BY_TENANT_ADMIN
    if refused:
        raise ServiceError(_("These roles are granted by the portal's operators only: %(roles)s",
                             roles=", ".join(sorted(refused))), "roles")
    if language not in SUPPORTED:
        raise ServiceError(_("Choose the language of the mails."), "language")


def _duplicate(email: str) -> ServiceError:
    return ServiceError(_("%(email)s is already registered in this municipality.", email=email), "email")


def invite_user(actor: User, email: str, display_name: str, roles: set[str], language: str = "ja") -> User:
    """Pre-create a person's account in the actor's municipality and mail them how to log in (after the commit)."""
    email, name = (email or "").strip().lower(), (display_name or "").strip()
    _check(email, name, set(roles), language)
    tenant = actor.tenant
    if db.session.scalar(select(User.id).where(User.tenant_id == tenant.code, User.email == email)) is not None:
        raise _duplicate(email)
    issuer = sso_issuer(tenant.code)
    user = User(tenant_id=tenant.code, email=email, display_name=name, issuer=issuer)
    user.memberships = [Membership(tenant_id=tenant.code, role=r) for r in sorted(roles)]
    nested = db.session.begin_nested()
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same address invited at the same moment by another request
        nested.rollback()
        raise _duplicate(email) from error
    nested.commit()
    from kernel.notifications.service import remember_language

    remember_language(tenant.code, user.id, language)
    audit.record("user.invite", "user", user.id, after={
        "email": email, "display_name": name, "roles": sorted(roles), "language": language,
        "sso": issuer is not None})
    notify("tenants.user_invited" if issuer else "tenants.user_invited_no_sso", url=_login_path(tenant.code, issuer),
           actor=(actor.tenant_id, actor.id), invitee=(tenant.code, user.id), by=actor.display_name,
           tenant_ja=tenant.name_ja, tenant_en=tenant.name_en, email=email)
    return user


def sso_issuer(tenant_code: str) -> Optional[str]:
    """The issuer a new account is prepared for: the municipality's enabled provider, else none."""
    from tenants.sso.models import SsoProvider

    provider = db.session.get(SsoProvider, tenant_code)
    return provider.issuer if provider is not None and provider.is_enabled else None


def _login_path(tenant_code: str, issuer: Optional[str]) -> str:
    """The login page to link (a path: the mail makes it absolute with PORTAL_BASE_URL). Written out rather
    than url_for'd: invitations are also made outside a request (demo data, CLI)."""
    return f"/login/{tenant_code}" if issuer else "/login"
