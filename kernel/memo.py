"""A bounded per-worker memo: the layout's fragments, the navigation and the search page's facet labels keep what
they build by a key that covers everything the value depends on (each caller says what its key holds)."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def kept(store: dict[K, V], key: K, build: Callable[[], V], limit: int) -> V:
    """``store[key]``, built at the first use. The store is emptied when it holds ``limit`` values: the callers'
    keys come from small, stable sets, so the bound is a guard against growth, not an eviction policy. Safe
    without a lock in a threaded worker: two threads may both build a value, and one of them is kept."""
    found = store.get(key)
    if found is None:
        found = build()
        if len(store) >= limit:
            store.clear()
        store[key] = found
    return found
