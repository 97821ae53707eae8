"""The tenant of the current request, handed to PostgreSQL for row-level security.

The tenant and user come only from the authenticated session (never from a URL or header). At the
start of every transaction they are set with ``set_config(..., true)`` — transaction-local — so a
connection returned to the pool carries nothing over to the next request. With no tenant bound,
``app.tenant_id`` is '' and every tenant-owned table shows zero rows.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from flask import g, has_app_context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from kernel import audit
from kernel.extensions import db

_SET_SQL = text("SELECT set_config('app.tenant_id', :tenant, true), set_config('app.user_id', :user, true)")


def current_tenant_id() -> Optional[str]:
    """The tenant bound to this request or CLI command, or None."""
    if not has_app_context():
        return None
    return g.get("tenant_id")


def current_user_id() -> Optional[int]:
    if not has_app_context():
        return None
    return g.get("user_id")


def _apply(connection: Connection) -> None:
    tenant = current_tenant_id() or ""
    user = current_user_id()
    connection.execute(_SET_SQL, {"tenant": tenant, "user": "" if user is None else str(user)})


def bind_tenant(tenant_id: Optional[str], user_id: Optional[int] = None) -> None:
    """Low level: bind a tenant (and user) for the rest of this app context, the open transaction too.

    Only the request loaders call it (tenants.auth for the session cookie, tenants.tokens for an API
    token, and the SSO login steps before a session exists); everything else uses ``as_tenant``.
    tests/tenants/test_binding.py holds the list and fails on a new caller.
    """
    g.tenant_id = tenant_id
    g.user_id = user_id
    session = db.session()
    if session.in_transaction():
        _apply(session.connection())


def unbind_tenant() -> None:
    bind_tenant(None, None)


@contextmanager
def as_tenant(tenant_id: Optional[str], user_id: Optional[int] = None) -> Iterator[None]:
    """Bind ``tenant_id`` for the block, then restore the previous binding (also on an exception).

    The one way for CLI commands, background work and a deliberate write into another tenant (an
    award entry becoming its municipality's case). ``user_id`` None keeps the previous user, so the
    person acting stays the actor in the audit log.
    """
    previous = (current_tenant_id(), current_user_id())
    bind_tenant(tenant_id, user_id if user_id is not None else previous[1])
    try:
        yield
    finally:
        bind_tenant(*previous)


audit.use_binding(lambda: (current_tenant_id(), current_user_id()))


@event.listens_for(Session, "after_begin")
def _set_tenant_on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # Runs for the outermost transaction of every Session, including the app's scoped session.
    _apply(connection)
