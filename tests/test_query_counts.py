"""Pages run a small, fixed number of SQL statements, whatever the data size."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize(("who", "path", "limit"), [
    # The dashboard: the session (with the header's unread count) and one statement for every count: the
    # casebook's cases, the active accounts and every "waiting for you" item (casebook changes requested and
    # questions, support surveys, workload departments, community actions) in one call of the dashboard's counts
    # function (kernel/waiting.py).
    ("member", "/", 2),
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
    # together in one round trip (the binding in front of the transaction's first statement). The statement
    # is the call of its plan function (kernel/kept_plans.py), or the statement itself where that is missing.
    from tenants.auth import _SESSION_CHECK

    login_as("member")
    client.get("/")
    with count_queries(include_bindings=True) as statements:
        assert client.get("/").status_code == 200
    bindings = [s for s in statements if "set_config('app.tenant_id'" in s]
    session_reads = [s for s in statements if "FROM auth_sessions" in s or _SESSION_CHECK.function[0] in s]
    assert len(bindings) == 1, "\n".join(statements)
    assert len(session_reads) == 1, "\n".join(statements)
    assert bindings == session_reads, "the binding is not sent with the session check:\n" + "\n".join(statements)
    assert not [s for s in statements if s.lstrip().startswith("SELECT memberships")], "\n".join(statements)
    # The header's unread count is part of the session check, not a statement of its own.
    assert not [s for s in statements if "FROM notifications" in s and "auth_sessions" not in s], \
        "\n".join(statements)


def test_the_audit_log_names_objects_of_every_kind_in_one_statement(app, client, login_as, count_queries,
                                                                    in_app) -> None:  # type: ignore[no-untyped-def]
    """However many kinds of object a page of the audit log shows (here one entry of each kind written in every
    municipality's log, under 青梅市's), their titles cost one statement: the page stays within its budget."""
    from sqlalchemy import select

    from kernel import audit
    from kernel.audit import AuditEntry
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tests.conftest import CHIYODA, KOTO, OME

    def pairs() -> set[tuple[str, str]]:
        found = set()
        for code in (OME, KOTO, CHIYODA, "130001"):
            bind_tenant(code)
            found |= {(t, i) for t, i in db.session.execute(
                select(AuditEntry.object_type, AuditEntry.object_id).where(AuditEntry.object_id.is_not(None))) if t}
        return found

    kinds = {kind: object_id for kind, object_id in sorted(in_app(pairs))}
    kinds |= {"api_scope": "cases:read", "permission": "casebook.curate", "request": "/cases/1",
              "print_settings": OME, "sso_provider": OME}

    def write() -> None:
        bind_tenant(OME)
        for kind, object_id in kinds.items():
            audit.record("case.update", kind, object_id, tenant_id=OME, user_id=None)

    in_app(write)
    assert len(kinds) >= 25
    login_as("tenant_admin")
    client.get("/admin/audit")
    with count_queries() as statements:
        response = client.get("/admin/audit")
    assert response.status_code == 200
    assert len(statements) <= 9, "\n".join(statements)
    assert "UNION ALL" in "\n".join(statements)  # the objects of every kind in one statement
