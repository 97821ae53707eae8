"""Pages run a small, fixed number of SQL statements, whatever the data size."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("who", "path", "limit"), [
    ("member", "/", 12),
    ("tenant_admin", "/admin/users", 10),
    ("tenant_admin", "/admin/audit", 10),
])
def test_page_statement_budget(client, login_as, count_queries, who, path, limit) -> None:  # type: ignore[no-untyped-def]
    login_as(who)
    client.get(path)  # warm caches of the first request
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert 0 < len(statements) <= limit, "\n".join(statements)
