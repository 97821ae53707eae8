"""Statements whose plans PostgreSQL keeps: a hot page's statement also written as a PL/pgSQL function (issue 25.5).

PostgreSQL plans a statement each time it receives it. For the short statements of the pages sent on every
request that planning is most of their server time: the session check that runs on every logged-in page planned
in 0.14 ms and ran in 0.05 (EXPLAIN ANALYZE on the bench data), the procurement page's statement in 0.48 + 0.16.
PREPARE would keep the plan, but behind PgBouncer's transaction pooling a prepared statement belongs to a server
connection the next transaction may not get. The query of a PL/pgSQL function is kept instead: PostgreSQL plans
it at the function's first call on a server connection and keeps the plan for the life of that connection,
whichever client's transaction the connection serves.

A module wraps such a statement once, at import::

    _SESSION_CHECK = KeptPlan(select(...).where(AuthSession.id == bindparam("session_hash")))
    row = driver.first(connection, _SESSION_CHECK.statement_for(connection), {"session_hash": ...})

and, for a statement sent as driver SQL (``text()`` with typed parameters and result columns)::

    _PAGE = KeptPlan(text("SELECT ... WHERE e.id = :entry_id")
                     .bindparams(bindparam("entry_id", Integer)).columns(column("page", JSON)))
    row = connection.exec_driver_sql(_PAGE.driver_sql(connection), {"entry_id": entry_id}).first()

Its *plan function* (``KeptPlan.function``) runs exactly the statement: its PostgreSQL text with its constants
written out and each parameter the caller gives (``:entry_id``) as an argument of the function (``_entry_id``),
``RETURNS TABLE`` with the statement's result columns, typed from their SQLAlchemy types (RETURN QUERY refuses a
query whose column types differ, varchar for text say: tests/kernel/test_kept_plans.py checks them against the
database's own). The function is named by a hash of that definition, so a statement whose text or types change
never meets an outdated function: it is sent as it is, correct and uncached, until a migration creates the
function of its new text (the test prints the definitions still missing).

Whether the database has a statement's function is read once per worker and engine (one query of pg_proc at
the first use); migrations only add functions while workers run. A function's result is read as the statement's
is: the same columns in the same order with the same SQLAlchemy types (their result processors apply) and the
statement's column names, so a caller reading the row by position, or by name through kernel.driver, sees no
difference. The call is an ordinary statement: executed by SQLAlchemy, ``kernel.driver`` or as driver SQL.

The function runs as the caller (SECURITY INVOKER, the default), inside the caller's transaction and snapshot
(STABLE: it only reads): the same role, the same tenant binding (``set_config(..., true)``, sent in front of the
transaction's first statement, a call included) and the same row-level security as the statement alone. A kept
plan holds no tenant: row-level security is evaluated when the plan runs, for the binding of that moment.

PL/pgSQL uses a custom plan (parameters as constants) for the first five calls on a connection, then a generic
one unless it looks costlier: the statements kept here look rows up by their keys, and their generic plans use
the same indexes (measured with EXPLAIN under ``plan_cache_mode = force_generic_plan``: see the migrations).
The dashboard's count functions (kernel/waiting.py ``count_function``) keep their plans in the same way, for
one-row count statements with the viewer's values as fixed arguments.
"""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import bindparam, column, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import NullType

from kernel.memo import kept

PLAN_FUNCTION_PREFIX = "yokoten_plan_"
# The values a bigint argument takes. An id from a URL may be any integer: the statement compared one past these
# with its column as a numeric and found no row, while the function cannot even be called with it (no function
# takes a numeric), so a page looks such an id up as not found without asking (``if page_id not in BIGINT_VALUES``).
BIGINT_VALUES = range(-(2**63), 2**63)
# The dialect of the functions' text: the application's driver, with named parameters (none are left in the
# text; a % in it stays a single %, as PostgreSQL must read it).
_DIALECT = psycopg2.dialect(paramstyle="named")


class KeptPlan:
    """A statement sent on every visit of a page, run through its plan function when the database has it.

    ``statement``: a Core ``select`` or a ``text().columns(...)``. Its parameters without a value are the
    caller's (arguments of the function, typed: a column compared with ``bindparam("x")`` gives it its type, a
    ``text()`` types them with ``.bindparams``); those with a value are constants, written into the function."""

    __slots__ = ("statement", "_function", "_chosen", "_driver_sql")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._function: tuple[str, str, Any] | None = None
        # Per engine (its database: tests use several): the statement to execute and the driver SQL to send.
        self._chosen: dict[Any, Any] = {}
        self._driver_sql: dict[Any, str] = {}
        _registered.append(self)

    @property
    def function(self) -> tuple[str, str]:
        """The name and the ``CREATE FUNCTION`` of the statement's plan function (worked out once per worker)."""
        name, definition, _call = self._parts()
        return name, definition

    @property
    def call(self) -> Any:
        """The ``select`` of the plan function's rows: the statement's columns, names and types."""
        return self._parts()[2]

    def _parts(self) -> tuple[str, str, Any]:
        if self._function is None:
            self._function = _plan_function(self.statement)
        return self._function

    def statement_for(self, connection: Any) -> Any:
        """What to execute on ``connection``: the call of the plan function when its database has it, otherwise
        the statement itself. Chosen once per worker and engine."""
        chosen = self._chosen.get(connection.engine)
        if chosen is None:
            name, _definition, call = self._parts()
            chosen = call if name in plan_functions(connection) else self.statement
            self._chosen[connection.engine] = chosen
        return chosen

    def execute(self, connection: Any, parameters: dict[str, Any]) -> Any:
        """The statement's result on ``connection`` (a Core connection), through its plan function if there."""
        return connection.execute(self.statement_for(connection), parameters)

    def driver_sql(self, connection: Any) -> str:
        """The SQL to send with ``connection.exec_driver_sql(sql, parameters)``: the plan function's call or the
        statement itself, compiled once per worker and engine. For statements whose parameters the driver takes
        as they are (no bind processors) and whose rows need no processing (a JSON value, say)."""
        found = self._driver_sql.get(connection.engine)
        if found is None:
            compiled = self.statement_for(connection).compile(dialect=connection.dialect)
            if compiled._bind_processors or compiled.positional:
                raise TypeError("a kept plan sent as driver SQL takes its parameters as the driver does")
            found = self._driver_sql[connection.engine] = str(compiled)
        return found


_registered: list[KeptPlan] = []


def registered() -> list[KeptPlan]:
    """Every kept plan of the imported modules (the tests and the migration that creates their functions)."""
    return list(_registered)


def _plan_function(statement: Any) -> tuple[str, str, Any]:
    """The plan function of ``statement``: its name, its ``CREATE FUNCTION`` and the ``select`` calling it."""
    binds = statement.compile(dialect=_DIALECT).binds
    if any(bind.expanding for bind in binds.values()):
        raise TypeError("a kept plan takes single values (an IN list's length would change its text)")
    arguments = sorted((key, bind.type) for key, bind in binds.items() if bind.required)
    results = [(column_.key, column_.type) for column_ in statement.selected_columns]
    untyped = [key for key, type_ in [*arguments, *results] if isinstance(type_, NullType)]
    if untyped:
        raise TypeError(f"a kept plan needs the type of every parameter and result column: {untyped}")

    def argument(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter) and element.required:
            return literal_column("_" + element.key, element.type)
        return None

    # The statement's constants rendered by SQLAlchemy's literal processors; nothing of a request is in the text,
    # and it runs only from a migration that wrote it out. The caller's parameters become the arguments, named
    # with a leading underscore (no table's column is): inside the body a name matching a column would be
    # ambiguous, and PL/pgSQL refuses it (its default #variable_conflict error). The result columns are named
    # _r1, _r2, ... for the same reason.
    with_arguments: Any = visitors.replacement_traverse(statement, {}, argument)
    query = str(with_arguments.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True})).strip()
    if "$plan$" in query:
        raise ValueError("a kept plan's statement cannot contain $plan$")
    signature = ", ".join(f"_{key} {_type_name(type_)}" for key, type_ in arguments)
    outputs = ", ".join(f"_r{position} {_type_name(type_)}" for position, (_key, type_) in enumerate(results, 1))
    body = (f" ({signature})\n"
            f"RETURNS TABLE ({outputs}) LANGUAGE plpgsql STABLE AS $plan$\n"
            "BEGIN\n"
            f"RETURN QUERY {query};\n"
            "END\n"
            "$plan$")
    name = PLAN_FUNCTION_PREFIX + hashlib.sha256(body.encode()).hexdigest()[:16]
    called = getattr(func, name)(*(bindparam(key, type_=type_) for key, type_ in arguments)).table_valued(
        *(column(f"_r{position}", type_) for position, (_key, type_) in enumerate(results, 1))).alias("kept")
    # The result columns with the statement's types and its columns' names: the same row, read the same way by
    # position, and by name where the statement's column has a name of its own (kernel.driver's named tuples then
    # have the same fields). A second column of the same name, or one without a name, keeps its _rN.
    labels: list[str] = []
    for position, selected in enumerate(statement.selected_columns, 1):
        key = selected.key
        labels.append(key if isinstance(key, str) and key not in labels else f"_r{position}")
    call = select(*(called.c[f"_r{position}"].label(label) for position, label in enumerate(labels, 1)))
    return name, f"CREATE FUNCTION {name}{body}", call


def _type_name(type_: Any) -> str:
    return str(type_.compile(dialect=_DIALECT))


def plan_functions(connection: Any) -> frozenset[str]:
    """The plan functions the database of ``connection`` has (read once per worker and engine)."""
    return database_functions(connection, PLAN_FUNCTION_PREFIX)


def database_functions(connection: Any, prefix: str) -> frozenset[str]:
    """The names of the functions starting with ``prefix`` that the database of ``connection`` has: the plan
    functions here, the dashboard's count functions (kernel/waiting.py). Read once per worker, engine and prefix:
    migrations only add such functions while workers run (a downgrade that drops some needs a restart)."""
    return kept(_functions, (connection.engine, prefix), lambda: frozenset(connection.scalars(text(
        "SELECT proname FROM pg_proc WHERE starts_with(proname, :prefix) AND pg_function_is_visible(oid)"),
        {"prefix": prefix})), 32)


# Keyed by the engine (its database: tests use several) and the prefix.
_functions: dict[tuple[Any, str], frozenset[str]] = {}
