"""Personal access tokens for the JSON API: created and revoked by their user, stored hashed.

A token reads ``yk_<tenant code>_<secret>``. The tenant code only says where to look: the
token is found by the SHA-256 of the whole string among that tenant's rows (under RLS), so a
changed code finds nothing. A token acts as its user with the user's current roles, narrowed by its
scopes, and only on /api/v1 (never on a web page or form); a deactivated user's or tenant's tokens
stop working at once.

Scopes are ``<area>:<read|write>``: the area is the first path segment after /api/v1/ (``casebook``,
``cases``, ``procurement``, ``awards``, ``workload``), read covers GET/HEAD, write the other methods. ``/api/v1/me``
needs no scope; an area without a scope here is refused to every token (deny by default).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import Any, Optional

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, ForeignKeyConstraint, Identity, String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from wtforms.fields.choices import SelectChoice

from kernel import audit, driver
from kernel.errors import ServiceError
from kernel.extensions import Model, db
from kernel.i18n import catalogue_key
from kernel.kept_plans import KeptPlan
from kernel.models_base import TenantOwned
from tenants.context import bind_tenant
from tenants.models import User

TOKEN_RE = re.compile(r"^yk_(\d{6})_[A-Za-z0-9_-]{20,100}$")
MAX_ACTIVE_TOKENS = 20
API_PREFIX = "/api/v1/"
SCOPE_AREAS = {"casebook": _l("Casebook"), "cases": _l("Your municipality's cases"),
               "procurement": _l("Joint procurement"), "awards": _l("Awards"),
               "workload": _l("Workload surveys"), "support": _l("Support engagements")}
SCOPES = tuple(f"{area}:{mode}" for area in SCOPE_AREAS for mode in ("read", "write"))
UNSCOPED_PATHS = frozenset({"me", "openapi.json"})  # who the caller is; the public API description
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def scope_label(scope: str) -> str:
    area, _sep, mode = scope.partition(":")
    return f"{SCOPE_AREAS.get(area, area)} — {_('read') if mode == 'read' else _('write')}"


# (scope, label) of every scope per language and catalogue: the profile page's form lists all twelve on
# every visit, and their labels depend on nothing else (issue 25.5). Two languages × a few catalogues.
_scope_choices: dict[tuple[str, int], tuple[tuple[str, str], ...]] = {}


def scope_choices() -> list[SelectChoice]:
    """Every scope with its label in the request's language (for the token form's checkboxes)."""
    key = catalogue_key()
    labels = _scope_choices.get(key)
    if labels is None:
        labels = _scope_choices[key] = tuple((scope, scope_label(scope)) for scope in SCOPES)
    return [SelectChoice(scope, label) for scope, label in labels]  # new objects: WTForms' own, per form


def required_scope(path: str, method: str) -> Optional[str]:
    """The scope a token needs for this API request (None: none needed)."""
    area = path[len(API_PREFIX):].split("/", 1)[0] if path.startswith(API_PREFIX) else ""
    if area in UNSCOPED_PATHS:
        return None
    return f"{area}:{'read' if method.upper() in READ_METHODS else 'write'}"


class ApiToken(TenantOwned, Model):
    __tablename__ = "api_tokens"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # What the token may do on /api/v1, e.g. ["casebook:read", "cases:write"] (SCOPES).
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, scopes: Optional[list[str]] = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the token text (shown once, never stored).

    ``scopes`` None (the operators' CLI, tests) grants every API scope. Never from a request that a
    token authenticated: a token must not mint tokens that outlive it.
    """
    if has_request_context() and g.get("api_token_user"):
        raise ServiceError(_("A token cannot be created with a token: log in to the portal."), "name")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_("Enter a token name of at most 100 characters."), "name")
    chosen = sorted(set(SCOPES if scopes is None else scopes))
    if not chosen or set(chosen) - set(SCOPES):
        raise ServiceError(_("Choose at least one permission for the token."), "scopes")
    active = db.session.scalars(select(ApiToken).where(
        ApiToken.tenant_id == user.tenant_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise ServiceError(_("You can have at most %(count)s active tokens. Revoke the ones you no longer need.",
                             count=MAX_ACTIVE_TOKENS), "name")
    text = f"yk_{user.tenant_id}_{secrets.token_urlsafe(32)}"
    row = ApiToken(tenant_id=user.tenant_id, user_id=user.id, name=name, token_hash=_hash(text), prefix=text[:14],
                   scopes=chosen)
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.create", "api_token", row.id, after={"name": name, "prefix": row.prefix,
                                                                 "scopes": chosen})
    return row, text


# The profile page lists the person's tokens on every visit: the statement is built once, with bind
# parameters, instead of per request (SQLAlchemy's construction work; its compiled form is cached anyway). It
# reads the columns the page shows as plain rows: loading ORM entities cost some 100 function calls more a
# visit, most of them even when the person has no token (issue 25.5). It goes through its plan function
# (kernel/kept_plans.py, migration 20261207h_kept_plan_tokens): PostgreSQL planned it on every visit in 0.09 ms,
# three times its execution; through the function the transaction's backend CPU went from 103 to 78 µs
# (/proc/<pid>/schedstat of the backend, binding and statement in one round trip, 21 interleaved rounds of 300).
_TOKENS_OF_USER = KeptPlan(select(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.scopes, ApiToken.created_at,
                                  ApiToken.last_used_at, ApiToken.revoked_at)
                           .where(ApiToken.tenant_id == bindparam("tenant"), ApiToken.user_id == bindparam("user"))
                           .order_by(ApiToken.created_at.desc()))


def list_tokens(user: User) -> list[Any]:
    """The user's own tokens, newest first (revoked ones too): rows of id, name, prefix, scopes, created_at,
    last_used_at and revoked_at (a token created in this request included: the session flushes first)."""
    db.session.flush()  # a token created in this request first (the connection's execute does not flush)
    connection = db.session.connection()
    return driver.rows(connection, _TOKENS_OF_USER.statement_for(connection),
                       {"tenant": user.tenant_id, "user": user.id})


def find_token(user: User, token_id: int) -> Optional[ApiToken]:
    """One of the user's own tokens (revoked or not); None when it is not theirs or does not exist."""
    row = db.session.get(ApiToken, (user.tenant_id, token_id))
    return row if row is not None and row.user_id == user.id else None


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when it is not theirs (or does not exist)."""
    row = find_token(user, token_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit.record("api_token.revoke", "api_token", row.id)
    return True


def authenticate(token: str) -> Optional[tuple[User, frozenset[str]]]:
    """The active user a bearer token stands for and the token's scopes, with the tenant bound; None if
    invalid, revoked, or its user or tenant deactivated."""
    match = TOKEN_RE.match(token or "")
    if not match:
        return None
    tenant_id = match.group(1)
    bind_tenant(tenant_id)
    row = db.session.scalar(select(ApiToken).where(ApiToken.tenant_id == tenant_id,
                                                   ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        bind_tenant(None)
        return None
    user = db.session.get(User, (tenant_id, row.user_id))
    if user is None or not user.is_active or not user.tenant.is_active:
        bind_tenant(None)
        return None
    bind_tenant(tenant_id, user.id)
    now = datetime.now(UTC)
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return user, frozenset(row.scopes or ())
