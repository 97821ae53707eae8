"""Hot statements sent straight to the driver's cursor, inside the request's SQLAlchemy transaction (issue 25.5).

SQLAlchemy spends about 0.1 ms of CPU on every statement it executes, on top of the driver: the compiled
cache lookup, an execution context, the result's metadata and a Row object per row. For the few statements a
page sends on every request (the session check, a page's own reading), that is a real share of the request.
``rows`` and ``first`` run a statement compiled once per worker on the DBAPI cursor of the given connection,
in its transaction, and still do what SQLAlchemy's execution does for the portal:

- the connection's ``before_cursor_execute`` and ``after_cursor_execute`` listeners run as for any statement:
  the tenant binding goes in front of the transaction's first statement (tenants/context.py), the access log
  counts it (portal/logging.py), the benchmark and tests that watch statements see it;
- the column types' result processors (an array of enum values, say) are applied, so a row holds the same
  values as SQLAlchemy's row would;
- a driver error is raised as SQLAlchemy raises it (``sqlalchemy.exc.DBAPIError`` and its kinds), and a
  connection found dead is invalidated, so the pool never hands it out again.

Rows are named tuples: by position or by the column's name, as SQLAlchemy's rows are read. Only for statements
whose parameters the driver takes as they are (``prepared`` refuses the others); everything else goes through
SQLAlchemy as usual.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy.engine import Connection

from kernel.memo import kept


@dataclass(frozen=True)
class Prepared:
    """A statement's text for the driver (pyformat), the values of its own constants, a result processor per
    column (None: none has one) and the named tuple of its rows."""

    sql: str
    constants: dict[str, Any]
    processors: Optional[tuple[Optional[Callable[[Any], Any]], ...]]
    row: Any


# Per statement (by identity: hot statements are built once, at import) and dialect.
_prepared: dict[tuple[Any, Any], Prepared] = {}


def prepared(statement: Any, dialect: Any) -> Prepared:
    """The driver's text of ``statement`` and its columns' result processors, worked out once per worker."""
    return kept(_prepared, (statement, dialect), lambda: _prepare(statement, dialect), 256)


def _prepare(statement: Any, dialect: Any) -> Prepared:
    compiled = statement.compile(dialect=dialect)
    # Parameters the driver cannot take as they are: a type that processes its value, or a list expanded into
    # the text at every execution.
    if compiled._bind_processors or compiled.positional or compiled.post_compile_params:
        raise ValueError("kernel.driver: this statement's parameters need SQLAlchemy's processing")
    processors = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                       for column in statement.selected_columns)
    # The statement's own values (a literal, a state it filters on); the caller's parameters are the required ones.
    required = {compiled.bind_names[bind] for bind in compiled.binds.values() if bind.required}
    constants = {name: value for name, value in compiled.params.items() if name not in required}
    row = namedtuple("Row", [column.key for column in statement.selected_columns], rename=True)  # type: ignore[misc]
    return Prepared(compiled.string, constants, processors if any(processors) else None, row)


def rows(connection: Connection, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    """Every row of ``statement`` (a select built once, at import) with ``parameters``."""
    found = prepared(statement, connection.dialect)
    return _rows(found, _execute(connection, found.sql, found.constants, parameters, fetch_all=True))


def first(connection: Connection, statement: Any, parameters: dict[str, Any]) -> Any:
    """The first row of ``statement`` with ``parameters``, or None."""
    found = prepared(statement, connection.dialect)
    row = _execute(connection, found.sql, found.constants, parameters, fetch_all=False)
    return None if row is None else _rows(found, [row])[0]


def text_rows(connection: Connection, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every row of a statement already in the driver's text (pyformat), as the driver's tuples: no result
    processors (the caller's columns need none), the listeners and the error handling as for ``rows``."""
    result: list[tuple[Any, ...]] = _execute(connection, sql, {}, parameters, fetch_all=True)
    return result


def _rows(found: Prepared, result: list[Any]) -> list[Any]:
    make = found.row._make
    if found.processors is None:
        return [make(row) for row in result]
    processors = found.processors
    return [make(value if process is None else process(value) for process, value in zip(processors, row,
                                                                                         strict=True))
            for row in result]


def _execute(connection: Connection, sql: str, constants: dict[str, Any], parameters: dict[str, Any],
             fetch_all: bool) -> Any:
    if not connection.in_transaction():
        connection.begin()  # as SQLAlchemy's autobegin: the driver's implicit BEGIN then belongs to it
    cursor = connection.connection.cursor()
    statement, values = sql, {**constants, **parameters}
    try:
        for listener in connection.dispatch.before_cursor_execute:
            statement, values = listener(connection, cursor, statement, values, None, False)
        cursor.execute(statement, values)
        for after in connection.dispatch.after_cursor_execute:
            after(connection, cursor, statement, values, None, False)
        return cursor.fetchall() if fetch_all else cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - handed to SQLAlchemy, which wraps driver errors and re-raises
        # SQLAlchemy's own handling (not public API, stable in 2.0): wraps the driver's error in its DBAPIError
        # kinds, runs the handle_error listeners and invalidates the connection (and the pool) on a disconnect.
        connection._handle_dbapi_exception(error, statement, values, cursor, None)
        raise
    finally:
        cursor.close()
