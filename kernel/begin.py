"""A transaction's BEGIN sent in the same message as its first statement (issue 25.5).

psycopg2 opens a transaction by sending ``BEGIN`` on its own before the transaction's first statement and waiting
for the answer: a round trip to PostgreSQL on every request, that does nothing but open the transaction. Under
load each round trip is also a switch from the worker to its backend and back on the two shared cores. Here the
driver's connections are in autocommit mode (psycopg2 then sends nothing of its own) and the portal opens the
transaction itself, exactly where psycopg2 would have:

- the first statement of a SQLAlchemy transaction is sent as ``BEGIN; <statement>`` (the tenant binding, which
  rides in front of the same statement, after the BEGIN: ``BEGIN; SELECT set_config(…, true), …; <statement>``).
  PostgreSQL runs the message statement by statement: the transaction is open before the binding and the
  statement run, as with psycopg2's BEGIN. Where the statement cannot carry it (several parameter sets), the
  BEGIN is sent alone first, as psycopg2 sent it;
- SQLAlchemy's commit and rollback (and the pool's rollback when a connection is returned) send ``COMMIT`` or
  ``ROLLBACK`` when PostgreSQL reports a transaction open on the connection (libpq's transaction status, kept from
  the server's own answers), and nothing otherwise, as psycopg2 did;
- a connection asked for SQLAlchemy's ``AUTOCOMMIT`` isolation gets no BEGIN, and one whose psycopg2 autocommit
  was switched off again (another isolation level set on it) is left to psycopg2, which then sends its own BEGIN.

Whether a BEGIN is owed is read from the server's transaction status on every statement, never remembered: a
statement sent when the server has no transaction open, while SQLAlchemy has begun one, opens it. Statements sent
on the raw DBAPI cursor must run the connection's ``before_cursor_execute`` listeners, as ``kernel.driver`` does.
psycopg2 refuses a server-side (named) cursor on a connection in autocommit mode ("can't use a named cursor outside
of transactions"), whatever the server's transaction status: ``stream_results`` and ``yield_per`` do not work on the
portal's engine, and nothing uses them. A job that must stream rows uses an engine of its own with an isolation
level set (left to psycopg2, see ``_autocommit``).
tests/kernel/test_begin.py holds the behaviour (atomicity, rollback, the pool's reset, errors at COMMIT).
"""
from __future__ import annotations

from typing import Any

from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BEGIN = "BEGIN; "
_INSTALLED = "yokoten_begin_with_statement"


def install(engine: Engine) -> None:
    """Open the transactions of ``engine``'s connections with their first statement (once per engine)."""
    if getattr(engine, _INSTALLED, False):
        return
    setattr(engine, _INSTALLED, True)
    event.listen(engine, "connect", _autocommit)
    # Registered on the engine itself, it runs after the listeners registered on the Engine class (the tenant
    # binding's, tenants/context.py): the BEGIN goes in front of what they put in front of the statement.
    event.listen(engine, "before_cursor_execute", _begin_with_statement, retval=True)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)
    event.listen(engine.pool, "reset", _reset)


def _autocommit(dbapi_connection: Any, _record: Any) -> None:
    # After SQLAlchemy's first-connect initialisation (its listener was registered at the engine's creation). A
    # connection set to an isolation level of its own (the engine's isolation_level) stays with psycopg2, whose
    # BEGIN sets that level: the portal's BEGIN is plain, for the server's default level.
    if dbapi_connection.isolation_level is None:
        dbapi_connection.autocommit = True


def owed(connection: Connection, dbapi_connection: Any) -> bool:
    """Whether the next statement on ``connection`` must open the transaction SQLAlchemy has begun."""
    return (dbapi_connection.autocommit and dbapi_connection.info.transaction_status == TRANSACTION_STATUS_IDLE
            and connection.in_transaction()
            and connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT")


def send_owed(connection: Connection, cursor: Any) -> None:
    """Send the owed BEGIN on its own (for a statement that cannot carry it in front)."""
    if owed(connection, cursor.connection):
        cursor.execute("BEGIN")


def _begin_with_statement(connection: Connection, cursor: Any, statement: str, parameters: Any, _context: Any,
                          executemany: bool) -> tuple[str, Any]:
    if not owed(connection, cursor.connection):
        return statement, parameters
    if executemany:
        cursor.execute("BEGIN")  # in front of every parameter set it would open the transaction again
        return statement, parameters
    # psycopg2 interpolates parameters into the text (a % of the statement is doubled when it does); "BEGIN; "
    # has no % sign, so it goes in front of a statement with or without parameters alike.
    return BEGIN + statement, parameters


def _end(connection: Connection, command: str) -> None:
    fairy = connection.connection
    dbapi_connection = fairy.dbapi_connection
    if dbapi_connection is None or not dbapi_connection.autocommit \
            or dbapi_connection.info.transaction_status == TRANSACTION_STATUS_IDLE:
        return  # nothing open on the server (or psycopg2 manages the transaction itself)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(command)
    except Exception as error:  # noqa: BLE001 - handed to SQLAlchemy, which wraps driver errors and re-raises
        # As for an error of psycopg2's own commit: SQLAlchemy's DBAPIError kinds (an IntegrityError for a
        # deferred constraint, say), and a connection found dead invalidated (kernel.driver does the same).
        connection._handle_dbapi_exception(error, command, {}, cursor, None)
        raise
    finally:
        cursor.close()


def _commit(connection: Connection) -> None:
    _end(connection, "COMMIT")


def _rollback(connection: Connection) -> None:
    if connection.closed or connection.invalidated:
        return
    _end(connection, "ROLLBACK")


def _reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
    # A connection returned to the pool with a transaction still open (the pool then calls psycopg2's rollback,
    # which sends nothing in autocommit mode): roll it back here. An error closes the connection (the pool's own
    # handling of a failed reset), so nothing of the transaction survives either way.
    if dbapi_connection.autocommit and dbapi_connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
