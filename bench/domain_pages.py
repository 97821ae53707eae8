"""URLs of the domain pages for the benchmark, found in the generated data.

Each resolver returns a Page with path None (reported as not measured) when the module's tables
are not there, so the benchmark runs on whatever has landed.
"""
from __future__ import annotations

from bench.pages import Page
from bench.setup import BenchDatabase


def _exists(db: BenchDatabase, table: str) -> bool:
    return bool(db.query("SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0])


def resolve(db: BenchDatabase) -> list[Page]:
    return [
        Page("casebook search", None, "member", "search", "casebook module not merged"),
        Page("case page", None, "member", "case", "casebook module not merged"),
        Page("procurement project page", None, "member", "project", "procurement module not merged"),
        Page("judge's scoring page", None, "judge", "scoring", "awards module not merged"),
        Page("API search", None, "token", "api_search", "casebook module not merged"),
    ]


def search_spec(db: BenchDatabase) -> dict | None:  # type: ignore[type-arg]
    """Search URLs over many terms and a matcher for the search statement(s); None without a casebook."""
    return None


def rls_specs(db: BenchDatabase) -> list[tuple[str, str, object]]:
    """(name, page path, statement matcher) whose statements are compared with and without RLS."""
    return [("dashboard: active accounts of the municipality (users, tenant-owned)", "/",
             lambda sql: "FROM users" in sql and "count(" in sql)]
