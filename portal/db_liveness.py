"""A free liveness check for pooled connections, in place of the pool's pre-ping round trip.

An idle PostgreSQL connection has nothing to read. When the server shuts down or restarts, or a
backend is terminated, PostgreSQL sends a FATAL message and closes the socket, so the socket becomes
readable. Such a connection is discarded at checkout and the pool opens a fresh one, at the cost of
one poll() system call instead of a ``SELECT 1`` round trip on every request (a round trip costs
this two-core machine a few hundred microseconds of a page's few milliseconds).

What poll() cannot see, a half-open TCP connection after a network partition, fails the one request
that uses it; SQLAlchemy then recognises the disconnect and invalidates the whole pool. An idle
connection that is readable for a harmless reason (a parameter report after a configuration reload)
is merely replaced.
"""
from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def closed_by_server(dbapi_connection: Any) -> bool:
    """True when the idle connection is closed, or the server has written to it (FATAL, then EOF)."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _discard_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if closed_by_server(dbapi_connection):
        # The pool catches this, drops the connection and checks out (or opens) another.
        raise DisconnectionError("PostgreSQL closed this pooled connection")


def install(engine: Engine) -> None:
    if not event.contains(engine, "checkout", _discard_if_closed):
        event.listen(engine, "checkout", _discard_if_closed)
