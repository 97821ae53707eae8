"""The tenant of the current request, handed to PostgreSQL for row-level security.

The tenant and user come only from the authenticated session (never from a URL or header). At the
start of every transaction they are set with ``set_config(..., true)`` — transaction-local — so a
connection returned to the pool carries nothing over to the next request. With no tenant bound,
``app.tenant_id`` is '' and every tenant-owned table shows zero rows.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from flask.globals import _cv_app
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction

from kernel import audit, begin
from kernel.extensions import db

# The binding, as psycopg2 sends it (pyformat parameters, interpolated on the client). It travels in the
# same round trip as the transaction's first statement (see _send_binding_with_statement).
BINDING_SQL = ("SELECT set_config('app.tenant_id', %(yk_bind_tenant)s, true), "
               "set_config('app.user_id', %(yk_bind_user)s, true)")
# The binding still to be sent, per SQLAlchemy transaction (weak: it goes with the transaction).
_pending: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


# The binding lives in the app context's g, read here from its context variable rather than through the
# has_app_context / g proxies: it is read and written at least once on every request (issue 25.5).
def current_tenant_id() -> Optional[str]:
    """The tenant bound to this request or CLI command, or None."""
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else app_ctx.g.__dict__.get("tenant_id")


def current_user_id() -> Optional[int]:
    app_ctx = _cv_app.get(None)
    return None if app_ctx is None else app_ctx.g.__dict__.get("user_id")


def _apply(connection: Connection) -> None:
    """Have the current binding sent at the start of the connection's next statement in this transaction.

    Sent as its own statement, the binding would cost a round trip to PostgreSQL on every transaction
    (issue 25.5); instead it goes in front of the transaction's next statement, in the same message, so
    PostgreSQL runs it first, in the same transaction. Nothing is sent when no statement follows.
    """
    transaction = connection.get_transaction()
    if transaction is None:
        return
    user = current_user_id()
    _pending[transaction] = {"yk_bind_tenant": current_tenant_id() or "", "yk_bind_user": "" if user is None
                             else str(user)}


def bind_tenant(tenant_id: Optional[str], user_id: Optional[int] = None) -> None:
    """Low level: bind a tenant (and user) for the rest of this app context, the open transaction too.

    Only the request loaders call it (tenants.auth for the session cookie, tenants.tokens for an API
    token, and the SSO login steps before a session exists); everything else uses ``as_tenant``.
    tests/tenants/test_binding.py holds the list and fails on a new caller.
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        raise RuntimeError("bind_tenant needs an application context (a request, a CLI command or app_context())")
    values = app_ctx.g.__dict__
    values["tenant_id"], values["user_id"] = tenant_id, user_id
    session = db.session()
    if session.in_transaction():
        _apply(session.connection())


def unbind_tenant() -> None:
    bind_tenant(None, None)


def require_bound(tenant_code: str) -> None:
    """Refuse a service call for a tenant that is not bound: services never bind as a side effect, and
    under RLS an unbound call would only meet a database error (or see nothing) instead of this message."""
    if current_tenant_id() != tenant_code:
        raise RuntimeError(f"bind tenant {tenant_code} first (tenants.context.as_tenant); a service never binds")


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


@event.listens_for(Engine, "before_cursor_execute", retval=True)
def _send_binding_with_statement(connection: Connection, cursor: Any, statement: str, parameters: Any,
                                 context: Any, executemany: bool) -> tuple[str, Any]:
    """Put a pending binding in front of the statement: ``SELECT set_config(…, true), …; <statement>``.

    psycopg2 interpolates the parameters on the client and sends the string as one simple query, which
    PostgreSQL runs statement by statement in the open transaction (psycopg2 has sent its BEGIN): the
    binding is in place, transaction-local as before, before the statement is even parsed, and it ends
    with the transaction. Where the statement cannot carry it (several parameter sets, no named
    parameters, a server-side cursor), the binding is sent on its own first, as it always was.
    """
    transaction = connection.get_transaction()
    binding = _pending.pop(transaction, None) if transaction is not None else None
    if binding is None:
        return statement, parameters
    # A plain dict (even empty) means psycopg2 interpolates: SQLAlchemy compiled the statement with its %
    # signs doubled. Driver SQL without parameters comes with an immutable mapping and is sent as it is.
    if executemany or type(parameters) is not dict or getattr(cursor, "name", None) \
            or getattr(context, "no_parameters", False):
        begin.send_owed(connection, cursor)  # the transaction first (kernel/begin.py): the binding is local to it
        cursor.execute(BINDING_SQL, binding)
        return statement, parameters
    return f"{BINDING_SQL}; {statement}", {**parameters, **binding}
