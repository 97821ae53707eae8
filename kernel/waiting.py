""""Waiting for you": what each person has to do next, contributed by every domain.

A domain registers a provider ``function(user) -> list[WaitingItem | WaitingCount]`` at import; the
dashboard shows each item with its count, a link to the list filtered to exactly those items and the
age of the oldest one. A provider that counts with a statement returns a ``WaitingCount``: the
statement itself, not yet run. The dashboard then asks every provider's statements together, as one
``UNION ALL`` in one round trip (issue 25.5); each branch still runs under the viewer's own tenant
binding and row-level security, exactly as it would alone. A provider whose figure needs Python (a
judge's progress, a roster) returns ready ``WaitingItem``s, only non-empty ones::

    from kernel.waiting import VIEWER_TENANT, WaitingCount, register_waiting

    APPROVALS = select(func.count(), func.min(Case.updated_at)).where(
        Case.tenant_id == VIEWER_TENANT, Case.release_state == "proposed")

    @register_waiting
    def approvals(user):
        if not user.can(Permission.CASES_APPROVE):
            return []
        return [WaitingCount("casebook.approvals", _("Cases waiting for your approval"),
                             url_for("casebook.cases_index", state="proposed"), APPROVALS)]

A count's statement selects one row: the count and, if the item is dated, the moment the oldest
waiting item started waiting (``timestamp with time zone``); an item without a date selects the count
alone. Items with a count of zero are not shown.

A count's statement is built once, at import, with the viewer's values as bind parameters
(``VIEWER_TENANT``, ``VIEWER_ID``, ``NOW``) that ``count_together`` fills from the person it counts for:
the dashboard then builds no SQL expression per request, and the ``UNION ALL`` of a given set of
statements is built and compiled once per worker, then sent as driver SQL (issue 25.5). The same statement
object given twice (a figure and a "waiting for you" item counting the same rows) is asked once.

PostgreSQL plans a statement each time it receives it: for the dashboard's union that was more than half of its
server time. A count whose *count function* exists in the database (``count_function``: a PL/pgSQL function
running exactly the statement, named by a hash of its text, created by a migration) is asked through it
instead, and PostgreSQL keeps the plan of a function's query for the life of the server connection, which also
holds behind PgBouncer's transaction pooling, unlike PREPARE. The function runs as the caller (SECURITY
INVOKER), in the caller's transaction: the same role, tenant binding and row-level security. A statement whose
text changed has another hash and no function yet: it is asked as it is, correct and uncached, until a
migration creates its function (``tests/notifications/test_waiting_together.py`` names the missing ones).

Each function called in the union still costs PostgreSQL a call of its own (the PL/pgSQL frame, the kept plan's
checks and locks, an executor, the tuplestore of its RETURN QUERY): a member's seven counts cost 0.21 ms of server
CPU as seven calls, 0.13 ms as one. A dashboard's *counts function* (``counts_function``, created by a migration
for the common role combinations) runs all of its distinct statements as one UNION ALL in one function, each
branch numbered by its position; the dashboard calls it when the database has it, and the count functions one
by one otherwise. The distinct statements are ordered by their count functions' names (``distinct_statements``),
so the function does not depend on the order in which the domains registered their providers.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Optional, TypeAlias, Union, overload

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from kernel import driver
from kernel.kept_plans import database_functions
from kernel.memo import kept

# A statement selecting (count[, oldest]) in one row, whatever its columns' types.
CountStatement: TypeAlias = "Select[*tuple[Any, ...]]"


@dataclass(frozen=True)
class WaitingItem:
    key: str  # stable id, e.g. "casebook.approvals" (tests and data-testid use it)
    label: str
    count: int
    url: str
    oldest: Optional[datetime] = None  # when the oldest waiting item started waiting

    def age_days(self, now: Optional[datetime] = None) -> Optional[int]:
        if self.oldest is None:
            return None
        return max(((now or datetime.now(UTC)) - self.oldest).days, 0)


@dataclass(frozen=True)
class WaitingCount:
    """An item still to be counted: ``statement`` selects (count[, oldest]) in one row."""

    key: str
    label: str
    url: str
    statement: CountStatement

    def item(self, count: int, oldest: Optional[datetime]) -> WaitingItem:
        return WaitingItem(self.key, self.label, count, self.url, oldest)


_NO_DATE = cast(null(), DateTime(timezone=True))

# The viewer's values in a count statement built once (module level): ``count_together`` binds them.
VIEWER_TENANT = bindparam("viewer_tenant", type_=String(6))
VIEWER_ID = bindparam("viewer_id", type_=BigInteger())
NOW = bindparam("now", type_=DateTime(timezone=True))


def viewer_values(user: Any) -> dict[str, Any]:
    """The values of ``VIEWER_TENANT``, ``VIEWER_ID`` and ``NOW`` when counting for ``user``."""
    return {"viewer_tenant": user.tenant_id, "viewer_id": user.id, "now": datetime.now(UTC)}


WaitingProvider = Callable[[Any], Sequence[Union[WaitingItem, WaitingCount]]]
_providers: list[WaitingProvider] = []


_fixed: set[Callable[[Any], Any]] = set()


@overload
def register_waiting(provider: WaitingProvider, *, fixed: bool = False) -> WaitingProvider: ...
@overload
def register_waiting(*, fixed: bool = False) -> Callable[[WaitingProvider], WaitingProvider]: ...


def register_waiting(provider: Optional[WaitingProvider] = None, *, fixed: bool = False) -> Any:
    """Decorator: add a function(user) -> [WaitingItem | WaitingCount] to "waiting for you".

    ``@register_waiting(fixed=True)``: the provider's entries depend on nothing but the person's municipality
    and roles, the language and the script root (no database, no clock, no other attribute of the person), so
    they are kept per worker by those (``provided``), not asked again at every view."""
    return registrar(_providers, _fixed, provider, fixed)


def registrar(providers: list[Any], fixed_providers: set[Any], provider: Any, fixed: bool) -> Any:
    """The body of a provider registry's decorator, used bare (``provider`` given: it is added and returned) or
    with ``fixed=`` (``provider`` None: the decorator is returned). A provider is added once, and to the ``fixed``
    ones when asked."""
    def add(added: Any) -> Any:
        if added not in providers:
            providers.append(added)
        if fixed:
            fixed_providers.add(added)
        return added

    return add if provider is None else add(provider)


def fixed_key(user: Any) -> tuple[Any, ...]:
    """What the entries of a provider registered ``fixed`` depend on (their key in ``provided``)."""
    from flask import request

    from kernel.i18n import catalogue_key

    return user.tenant_id, frozenset(user.roles), catalogue_key(), request.script_root


def provided(providers: Sequence[Callable[[Any], Sequence[Any]]], fixed: set[Any], user: Any,
             store: dict[Any, tuple[Any, ...]], key: Optional[tuple[Any, ...]] = None) -> list[Any]:
    """The entries of ``providers`` for the person, in their order; those of the providers in ``fixed`` kept
    in ``store`` by ``fixed_key`` (the person's municipality, roles, language and script root: a role given or
    taken changes the key at once). A provider's entries are immutable (frozen dataclasses, statements built
    once), so a kept list is never changed by a request."""
    entries: list[Any] = []
    for provider in providers:
        if provider in fixed:
            key = key or fixed_key(user)
            found: tuple[Any, ...] = kept(store, (provider, key), partial(_entries_of, provider, user), 4096)
            entries.extend(found)
        else:
            entries += provider(user)
    return entries


def _entries_of(provider: Callable[[Any], Sequence[Any]], user: Any) -> tuple[Any, ...]:
    return tuple(provider(user))


_kept_entries: dict[Any, tuple[Any, ...]] = {}


def count_together(statements: Sequence[CountStatement], values: Optional[dict[str, Any]] = None,
                   ) -> list[tuple[int, Optional[datetime]]]:
    """Run one-row count statements (count[, oldest]) as one statement, in one round trip; results in order.

    ``values`` binds the statements' parameters (``viewer_values``). Each branch keeps its own conditions,
    so the database applies the same row-level security to it as to the statement alone (the tenant
    binding is the transaction's)."""
    from kernel.extensions import db

    if not statements:
        return []
    connection = db.session.connection()
    values = values or {}
    # Keyed by the engine (its database) too: the count functions of one database are not those of another (tests
    # use several); an engine hashes by identity, its URL would be rendered as text at every request.
    together = kept(_unions, (connection.engine, tuple(statements)),
                    lambda: _Together.of(statements, connection.dialect, values,
                                         _count_functions(connection) | _counts_functions(connection)), 256)
    if together.sql is None:
        rows: list[Any] = list(connection.execute(together.union, values))
    else:
        rows = driver.text_rows(connection, together.sql, {**together.constants, **values})
    found: dict[int, tuple[int, Optional[datetime]]] = {int(i): (int(n or 0), oldest) for n, oldest, i in rows}
    return [found.get(branch, (0, None)) for branch in together.branches]


def distinct_statements(statements: Sequence[CountStatement]) -> tuple[CountStatement, ...]:
    """The distinct statements of ``statements`` (a statement given twice is asked once) in the order their union
    asks them: by the name of each one's count function, so that a dashboard's counts function does not depend on
    the order in which the domains registered their providers (which follows the order of imports)."""
    return tuple(sorted(dict.fromkeys(statements), key=lambda statement: count_function(statement)[0]))


@dataclass(frozen=True)
class _Together:
    """The UNION ALL of some count statements, and its SQL with the values of its own constants.

    Sent as driver SQL on the driver's cursor (kernel.driver.text_rows), the union skips SQLAlchemy's work of
    every execution (the compiled-cache lookup, the IN lists expanded again, the execution context and the
    result's rows): about 0.3 ms of CPU per dashboard, and 0.04 ms more for the cursor (issue 25.5). Only
    the viewer's values change between requests; a statement whose parameters the driver cannot take as
    they are (a type with a bind processor) keeps SQLAlchemy's execution."""

    union: Any
    sql: Optional[str]
    constants: dict[str, Any]
    branches: tuple[int, ...]  # the branch answering each statement given, in their order

    @classmethod
    def of(cls, given: Sequence[CountStatement], dialect: Any, values: dict[str, Any],
           functions: frozenset[str] = frozenset()) -> _Together:
        statements = distinct_statements(given)
        branch_of = {statement: position for position, statement in enumerate(statements)}
        answering = tuple(branch_of[statement] for statement in given)
        together = counts_function(statements)[0]
        if together in functions:
            union: Any = _through_counts_function(together)
        else:
            branches = []
            for position, statement in enumerate(statements):
                # Every branch the same shape (count, oldest, position): the position names the result.
                name = count_function(statement)[0]
                if name in functions:
                    statement = _through_function(name)
                elif len(statement.selected_columns) == 1:
                    statement = statement.add_columns(_NO_DATE)
                branches.append(statement.add_columns(literal_column(str(position), Integer)))
            union = union_all(*branches) if len(branches) > 1 else branches[0]
        compiled = union.compile(dialect=dialect)
        if compiled._bind_processors or compiled.positional:
            return cls(union, None, {}, answering)
        expanded = compiled.construct_expanded_state(values)
        return cls(union, expanded.statement, {k: v for k, v in expanded.parameters.items() if k not in values},
                   answering)


# The union of each tuple of statements as given (by identity: the statements are built once, at import) in each
# database, kept so that it is built and compiled once per worker; the keys hold the statements, whose ids cannot
# then be reused by other statements.
_unions: dict[tuple[Any, tuple[CountStatement, ...]], _Together] = {}

COUNT_FUNCTION_PREFIX = "yokoten_count_"
# The viewer's values inside a count function: its arguments (names no table's column has).
_ARGUMENTS = {"viewer_tenant": "_viewer_tenant", "viewer_id": "_viewer_id", "now": "_now"}


def count_function(statement: CountStatement) -> tuple[str, str]:
    """The name and the ``CREATE FUNCTION`` of the count function of ``statement`` (kernel/waiting.py's docstring).

    The function's query is the statement's PostgreSQL text with its constants written out and the viewer's
    values as the function's arguments; the name is a hash of that definition, so that a statement whose text
    changes (its code, or SQLAlchemy's rendering) never meets an outdated function. Kept per worker."""
    return kept(_definitions, statement, lambda: _definition(statement), 1024)


def _definition(statement: CountStatement) -> tuple[str, str]:
    body = (" (_viewer_tenant text, _viewer_id bigint, _now timestamptz)\n"  # noqa: S608
            "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
            "BEGIN\n"
            "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n" + _query(statement) + "\n) AS c(n, t);\n"
            "END\n"
            "$count$")
    name = COUNT_FUNCTION_PREFIX + hashlib.sha256(body.encode()).hexdigest()[:16]
    return name, f"CREATE FUNCTION {name}{body}"


def _query(statement: CountStatement) -> str:
    """The statement's PostgreSQL text selecting (count, oldest), its constants written out and the viewer's values
    as the functions' arguments."""
    if len(statement.selected_columns) == 1:
        statement = statement.add_columns(_NO_DATE)

    def argument(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in _ARGUMENTS:
            return literal_column(_ARGUMENTS[element.key], element.type)
        return None

    # The statement's own constants (states, kinds) rendered by SQLAlchemy's literal processors; nothing of a
    # request is in the text, and it is run only by a migration that wrote it out.
    with_arguments: Any = visitors.replacement_traverse(statement, {}, argument)
    return str(with_arguments.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


_definitions: dict[CountStatement, tuple[str, str]] = {}

COUNTS_FUNCTION_PREFIX = "yokoten_counts_"


def counts_function(statements: Sequence[CountStatement]) -> tuple[str, str]:
    """The name and the ``CREATE FUNCTION`` of the *counts function* of a dashboard's distinct statements, in
    their order: one PL/pgSQL function running all of them as one ``UNION ALL``, each branch numbered by its
    position (kernel/waiting.py's docstring). Named by a hash of its definition, as a count function. Kept per
    worker with the union (``_Together``), so worked out once per set of statements."""
    branches = "\nUNION ALL\n".join(
        f"SELECT c.n::bigint, c.t::timestamptz, {position} FROM (\n{_query(statement)}\n) AS c(n, t)"  # noqa: S608
        for position, statement in enumerate(statements))
    body = (" (_viewer_tenant text, _viewer_id bigint, _now timestamptz)\n"
            "RETURNS TABLE (waiting bigint, oldest timestamptz, branch integer) LANGUAGE plpgsql STABLE AS $counts$\n"
            "BEGIN\n"
            "RETURN QUERY\n" + branches + ";\n"
            "END\n"
            "$counts$")
    name = COUNTS_FUNCTION_PREFIX + hashlib.sha256(body.encode()).hexdigest()[:16]
    return name, f"CREATE FUNCTION {name}{body}"


def _through_function(name: str) -> Any:
    counted = getattr(func, name)(VIEWER_TENANT, VIEWER_ID, NOW).table_valued(
        column("waiting", BigInteger), column("oldest", DateTime(timezone=True)))
    return select(counted.c.waiting, counted.c.oldest)


def _through_counts_function(name: str) -> Any:
    counted = getattr(func, name)(VIEWER_TENANT, VIEWER_ID, NOW).table_valued(
        column("waiting", BigInteger), column("oldest", DateTime(timezone=True)), column("branch", Integer))
    return select(counted.c.waiting, counted.c.oldest, counted.c.branch)


def _count_functions(connection: Any) -> frozenset[str]:
    """The count functions the database has (read once per worker and database, as the plan functions are)."""
    return database_functions(connection, COUNT_FUNCTION_PREFIX)


def _counts_functions(connection: Any) -> frozenset[str]:
    """The counts functions (several statements in one) the database has, read as the count functions are."""
    return database_functions(connection, COUNTS_FUNCTION_PREFIX)


def resolve(entries: Sequence[Union[WaitingItem, WaitingCount]],
            counted: Sequence[tuple[int, Optional[datetime]]]) -> list[WaitingItem]:
    """The items of ``entries``, each WaitingCount filled from ``counted`` (in the order of its counts)."""
    results = iter(counted)
    items = [entry.item(*next(results)) if isinstance(entry, WaitingCount) else entry for entry in entries]
    return sorted_items(items)


def sorted_items(items: Sequence[WaitingItem]) -> list[WaitingItem]:
    """Non-empty items, oldest first (items without a date last)."""
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted((item for item in items if item.count > 0), key=lambda item: (item.oldest or far_future, item.key))


def waiting_entries(user: Any, key: Optional[tuple[Any, ...]] = None) -> list[Union[WaitingItem, WaitingCount]]:
    """Every provider's entries for the person, statements not yet run (``key``: their ``fixed_key``, if known)."""
    return provided(_providers, _fixed, user, _kept_entries, key)


def waiting_for(user: Any) -> list[WaitingItem]:
    """Everything waiting for the person, oldest first (items without a date last)."""
    entries = waiting_entries(user)
    return resolve(entries, count_together([e.statement for e in entries if isinstance(e, WaitingCount)],
                                           viewer_values(user)))
