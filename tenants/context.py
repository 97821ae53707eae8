"""The tenant of the current request, handed to PostgreSQL for row-level security.

The tenant and user come only from the authenticated session (never from a URL or header). At the
start of every transaction they are set with ``set_config(..., true)`` — transaction-local — so a
connection returned to the pool carries nothing over to the next request. With no tenant bound,
``app.tenant_id`` is '' and every tenant-owned table shows zero rows.
"""
from __future__ import annotations

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
    """Bind a tenant (and user) for the rest of this app context; applies to the open transaction too."""
    g.tenant_id = tenant_id
    g.user_id = user_id
    session = db.session()
    if session.in_transaction():
        _apply(session.connection())


def unbind_tenant() -> None:
    bind_tenant(None, None)


audit.use_binding(lambda: (current_tenant_id(), current_user_id()))


@event.listens_for(Session, "after_begin")
def _set_tenant_on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # Runs for the outermost transaction of every Session, including the app's scoped session.
    _apply(connection)
