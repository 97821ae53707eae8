"""Object providers for the authorization matrix.

A provider makes (inside the test's rolled-back transaction) an object of a given kind for an owner
and returns its id as placeholder text. Paths in tests/authz/*.yaml name them as ``{kind:owner}``,
e.g. ``/admin/users/{user:other}``. owner is ``own`` (青梅市, home of member and tenant_admin),
``other`` (江東区) or ``shared`` (a cross-tenant object such as a published casebook entry).
A row's form data (``data:``) may name providers in its text values too, e.g.
``name: "行列テストの会議体{community_fresh:shared}"``: a value that must be new for each sending (a unique
name, a fiscal year without a round) or the id of an object the form refers to.

Add a module here per domain; every function decorated with @provides is registered on import.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

PROVIDERS: dict[str, Callable[[str], str]] = {}


def provides(kind: str) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    def decorator(fn: Callable[[str], str]) -> Callable[[str], str]:
        PROVIDERS[kind] = fn
        return fn
    return decorator


def load_all() -> dict[str, Callable[[str], str]]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return PROVIDERS
