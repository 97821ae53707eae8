"""Lag-tolerant reads from a streaming replica (``DATABASE_READ_URL``); everything else on the primary.

What goes to the replica: a SELECT of a GET/HEAD request whose tables are all published, cross-tenant
data that tolerates a little lag (the casebook's entries and synonyms, the tenants' names) — the
casebook search and entry pages and their API. Never the session check, a municipality's own rows,
or anything in a request that writes (flushes go to the primary, always).

Read-your-writes: for ``READ_YOUR_WRITES_SECONDS`` after a person's last successful write request
(any POST/PUT/PATCH/DELETE answered below 400), their reads stay on the primary; the moment is kept
in their session cookie, so it holds whichever app node answers.

Down or lagging: once per eligible request the replica is asked how far behind it is (one round trip
on a pooled connection); unreachable, or behind more than ``DATABASE_READ_MAX_LAG`` seconds → the
primary, no error, and an unreachable replica is not asked again for a few seconds.
Without ``DATABASE_READ_URL`` nothing changes: every query goes to the primary.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request, session
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import CompoundSelect, Select, TableClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import AliasedReturnsRows
from sqlalchemy.sql.util import find_tables

from kernel.config import normalise_url
from kernel.extensions import db

log = logging.getLogger("yokoten.read_replica")

REPLICA_TABLES = frozenset({"casebook_entries", "casebook_search_rows", "casebook_synonyms", "casebook_text_words",
                            "tenants"})
# A statement that reads other tables too, but only what a page shows every municipality, may say so with this
# execution option (the casebook entry page: its entry's adoptions, questions and answers, in one statement of
# driver SQL, which names no tables of its own: casebook.entry_page.READS). Only the statement that says so: the
# same tables elsewhere (a municipality's own cases and their adoptions) stay on the primary.
LAG_TOLERANT = "yokoten_lag_tolerant"
# Set-returning functions a statement may read FROM (over a replica table's columns) without writing.
READ_ONLY_FUNCTIONS = frozenset({"unnest"})
READ_YOUR_WRITES_SECONDS = 10
DOWN_RETRY_SECONDS = 5.0
WROTE_AT = "wrote_at"
_LAG_SQL = text("""SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
                               WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                               ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END""")


class ReadReplica:
    """The replica's engine and this process's view of its health."""

    def __init__(self, url: str, max_lag: float, options: dict[str, Any]):
        self.engine: Engine = create_engine(normalise_url(url), **options)  # connects lazily
        self.max_lag = max_lag
        self.down_until = 0.0
        self.lock = threading.Lock()

    def usable(self) -> bool:
        """Up and not lagging past the limit (asked once per request)."""
        if time.monotonic() < self.down_until:
            return False
        try:
            with self.engine.connect() as conn:
                lag = float(conn.scalar(_LAG_SQL) or 0)
        except SQLAlchemyError as error:
            with self.lock:
                self.down_until = time.monotonic() + DOWN_RETRY_SECONDS
            log.warning("read replica unreachable, reading from the primary: %s", str(error).splitlines()[0])
            return False
        if lag > self.max_lag:
            log.info("read replica %.1f s behind (limit %.1f s), reading from the primary", lag, self.max_lag)
            return False
        return True


def replica_for_statement(clause: Any) -> Engine | None:
    """The replica's engine when this statement may read from it, else None (the primary)."""
    if clause is None or not getattr(clause, "is_select", False) or not has_request_context():
        return None
    replica: ReadReplica | None = current_app.extensions.get("yokoten_read_replica")
    if replica is None or not g.get("yokoten_replica_eligible"):
        return None
    if not clause.get_execution_options().get(LAG_TOLERANT):
        tables = _tables(clause)
        if not tables or not tables <= REPLICA_TABLES:
            return None
    usable = g.get("yokoten_replica_usable")
    if usable is None:
        usable = g.yokoten_replica_usable = replica.usable()
    if not usable:
        return None
    g.yokoten_replica_reads = g.get("yokoten_replica_reads", 0) + 1
    return replica.engine


def _tables(clause: Any) -> set[str | None]:
    """The tables a statement reads (None for anything in its FROM that is not a table or a known read).

    An alias (``tenants AS tenants_1`` of a joined load) counts as its table; a subquery, a LATERAL or
    a CTE counts as nothing of its own (the tables inside it are listed themselves); ``unnest(...)``
    over a column reads nothing more.
    """
    names: set[str | None] = set()
    for table in find_tables(clause, include_aliases=True):
        element = getattr(table, "element", table)
        if isinstance(element, TableClause):
            names.add(element.name)
        elif isinstance(element, FunctionElement) and element.name in READ_ONLY_FUNCTIONS:
            continue
        elif isinstance(element, (Select, CompoundSelect, AliasedReturnsRows)):
            continue
        else:
            names.add(None)
    return names


def _routing_session_class(base: type) -> type:
    class RoutingSession(base):
        """Flask-SQLAlchemy's session, with lag-tolerant SELECTs routed to the replica."""

        def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
            if bind is None and has_app_context() and not (self.new or self.dirty or self.deleted):
                engine = replica_for_statement(clause)
                if engine is not None:
                    return engine
            return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    RoutingSession.yokoten_routing = True
    return RoutingSession


def install(app: Flask) -> None:
    """Configure the replica when DATABASE_READ_URL is set (no connection is made here)."""
    url = app.config.get("DATABASE_READ_URL")
    if not url:
        return
    from portal import db_liveness

    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.pop("poolclass", None)
    replica = ReadReplica(url, float(app.config.get("DATABASE_READ_MAX_LAG", 10)), options)
    db_liveness.install(replica.engine)
    app.extensions["yokoten_read_replica"] = replica
    factory = db.session.session_factory
    if not getattr(factory.class_, "yokoten_routing", False):
        factory.class_ = _routing_session_class(factory.class_)

    @app.before_request
    def decide_replica() -> None:
        wrote_at = session.get(WROTE_AT)
        recent = isinstance(wrote_at, (int, float)) and time.time() - wrote_at < READ_YOUR_WRITES_SECONDS
        g.yokoten_replica_eligible = request.method in ("GET", "HEAD") and not recent

    @app.after_request
    def remember_write(response: Response) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            session[WROTE_AT] = int(time.time()) + 1  # rounded up: never shorter than the window
        return response
