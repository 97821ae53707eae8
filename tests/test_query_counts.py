"""Pages run a small, fixed number of SQL statements, whatever the data size."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("who", "path", "limit"), [
    # The dashboard: the session (with the header's unread count), the counts, and one statement per
    # "waiting for you" provider (casebook approvals and questions, support surveys, workload departments,
    # community actions).
    ("member", "/", 8),
    # The lightest page: the session check (with the unread count) and the person's tokens.
    ("member", "/profile/", 2),
    ("tenant_admin", "/admin/users", 9),
    ("tenant_admin", "/admin/audit", 9),
])
def test_page_statement_budget(client, login_as, count_queries, who, path, limit) -> None:  # type: ignore[no-untyped-def]
    login_as(who)
    client.get(path)  # warm caches of the first request
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert 0 < len(statements) <= limit, "\n".join(statements)


def test_session_check_is_one_binding_and_one_statement(client, login_as, count_queries) -> None:  # type: ignore[no-untyped-def]
    # Every request checks its server-side session; that check must not grow round trips: one
    # set_config for tenant and user, one statement for the session, user, tenant and roles, sent
    # together in one round trip (the binding in front of the transaction's first statement).
    login_as("member")
    client.get("/")
    with count_queries(include_bindings=True) as statements:
        assert client.get("/").status_code == 200
    bindings = [s for s in statements if "set_config('app.tenant_id'" in s]
    session_reads = [s for s in statements if "FROM auth_sessions" in s]
    assert len(bindings) == 1, "\n".join(statements)
    assert len(session_reads) == 1, "\n".join(statements)
    assert bindings == session_reads, "the binding is not sent with the session check:\n" + "\n".join(statements)
    assert not [s for s in statements if s.lstrip().startswith("SELECT memberships")], "\n".join(statements)
    # The header's unread count is part of the session check, not a statement of its own.
    assert not [s for s in statements if "FROM notifications" in s and "auth_sessions" not in s], \
        "\n".join(statements)
