"""Home dashboard figures. Each domain registers a provider of its own tenant-scoped figures.

A provider returns ``Figure``s, or ``FigureCount``s whose statement (selecting one count) the dashboard
runs together with the "waiting for you" counts in one statement (kernel/waiting.py, issue 25.5).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union, overload

from kernel.waiting import (
    CountStatement,
    WaitingCount,
    WaitingItem,
    count_together,
    distinct_statements,
    fixed_key,
    provided,
    registrar,
    resolve,
    viewer_values,
    waiting_entries,
)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: Optional[str] = None


@dataclass(frozen=True)
class FigureCount:
    """A figure still to be counted: ``statement`` selects one count first (shown with thousands separators).

    Built once, with the viewer's values as bind parameters, like a ``WaitingCount``'s (kernel/waiting.py);
    a figure may give the very statement of a "waiting for you" item (its count is then asked once)."""

    label: str
    statement: CountStatement
    url: Optional[str] = None

    def figure(self, count: int) -> Figure:
        return Figure(self.label, f"{count:,}", self.url)


FigureProvider = Callable[[Any], Sequence[Union[Figure, FigureCount]]]
_providers: list[FigureProvider] = []


_fixed: set[FigureProvider] = set()


@overload
def register_figures(provider: FigureProvider, *, fixed: bool = False) -> FigureProvider: ...
@overload
def register_figures(*, fixed: bool = False) -> Callable[[FigureProvider], FigureProvider]: ...


def register_figures(provider: Optional[FigureProvider] = None, *, fixed: bool = False) -> Any:
    """Decorator: add a function(user) -> [Figure | FigureCount] to the home dashboard; ``fixed=True`` as for
    ``kernel.waiting.register_waiting`` (entries that depend only on the person's municipality and roles, the
    language and the script root, kept per worker)."""
    return registrar(_providers, _fixed, provider, fixed)


def figure_entries(user: Any, key: Optional[tuple[Any, ...]] = None) -> list[Union[Figure, FigureCount]]:
    return provided(_providers, _fixed, user, _kept_entries, key)


_kept_entries: dict[Any, tuple[Any, ...]] = {}


def _resolve_figures(entries: Sequence[Union[Figure, FigureCount]], counted: Sequence[tuple[int, Any]]) -> list[Figure]:
    results = iter(counted)
    return [entry.figure(next(results)[0]) if isinstance(entry, FigureCount) else entry for entry in entries]


def figures_for(user: Any) -> list[Figure]:
    entries = figure_entries(user)
    return _resolve_figures(entries, count_together([e.statement for e in entries if isinstance(e, FigureCount)],
                                                    viewer_values(user)))


def dashboard_statements(user: Any) -> tuple[CountStatement, ...]:
    """The distinct count statements of the person's dashboard in the order its union asks them: the statements
    of its counts function (kernel/waiting.py ``counts_function``), written out by a migration for common roles."""
    key = fixed_key(user)
    entries = [*figure_entries(user, key), *waiting_entries(user, key)]
    return distinct_statements([e.statement for e in entries if isinstance(e, (FigureCount, WaitingCount))])


def dashboard_for(user: Any) -> tuple[list[Figure], list[WaitingItem]]:
    """The dashboard's figures and "waiting for you" items, every count asked in one statement."""
    key = fixed_key(user)
    figures = figure_entries(user, key)
    waiting = waiting_entries(user, key)
    figure_counts = [e.statement for e in figures if isinstance(e, FigureCount)]
    waiting_counts = [e.statement for e in waiting if isinstance(e, WaitingCount)]
    counted = count_together(figure_counts + waiting_counts, viewer_values(user))
    return (_resolve_figures(figures, counted[:len(figure_counts)]),
            resolve(waiting, counted[len(figure_counts):]))
