"""The audit log: written for writes, logins and denied access; append-only for the app role."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from kernel.audit import AuditEntry
from kernel.config import normalise_url
from kernel.extensions import db
from tenants.context import bind_tenant


def _entries(app, tenant: str, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(tenant)
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        db.session.remove()
    return rows


def test_login_and_role_change_are_audited_with_request_id_and_ip(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    before = len(_entries(app, "132055", "auth.login"))
    login_as("tenant_admin")
    logins = _entries(app, "132055", "auth.login")
    assert len(logins) == before + 1
    assert logins[-1].ip == "127.0.0.1" and logins[-1].request_id and logins[-1].user_id
    users = client.get("/admin/users").get_data(as_text=True)
    import re

    member_id = re.search(r'/admin/users/(\d+)">青梅 花子', users).group(1)
    response = client.post(f"/admin/users/{member_id}", data={"roles": ["member", "judge"]})
    assert response.status_code == 302
    change = _entries(app, "132055", "user.roles")[-1]
    assert change.before == {"roles": ["member"]} and change.after == {"roles": ["judge", "member"]}
    assert change.object_id == member_id


def test_denied_access_is_audited_even_though_the_request_failed(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    assert client.get("/admin/users").status_code == 403
    denied = _entries(app, "132055", "access.denied")
    assert denied and denied[-1].object_id == "tenant.manage_users"


def test_app_role_can_neither_update_nor_delete_audit_rows(cluster) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            with conn.begin() as trans:
                conn.execute(text("SELECT set_config('app.tenant_id', '132055', true)"))
                conn.execute(text("INSERT INTO audit_log (tenant_id, action) VALUES ('132055', 'test.event')"))
                assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'test.event'")) == 1
                trans.rollback()
            for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                with conn.begin() as trans:
                    conn.execute(text("SELECT set_config('app.tenant_id', '132055', true)"))
                    with pytest.raises(DBAPIError, match="permission denied"):
                        conn.execute(text(statement))
                    trans.rollback()
            with conn.begin() as trans:  # and never into another tenant's log
                conn.execute(text("SELECT set_config('app.tenant_id', '132055', true)"))
                with pytest.raises(DBAPIError, match="row-level security"):
                    conn.execute(text("INSERT INTO audit_log (tenant_id, action) VALUES ('131083', 'forged')"))
                trans.rollback()
    finally:
        engine.dispose()


def test_audit_page_filters_and_shows_only_own_tenant(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    other = app.test_client()
    from tests.conftest import login

    login(other, "other_admin")  # an event in 江東区's log
    login_as("tenant_admin")
    page = client.get("/admin/audit?outcome=auth").get_data(as_text=True)
    table = page.split("<tbody>", 1)[1]  # the action filter above lists every code as an option
    assert 'data-action="auth.login"' in table and 'data-action="user.roles"' not in table
    with app.app_context():
        bind_tenant("131083")
        koto_request_ids = [e.request_id[:12] for e in db.session.scalars(select(AuditEntry)) if e.request_id]
        db.session.remove()
    assert koto_request_ids and not any(rid in page for rid in koto_request_ids)
    bad = client.get("/admin/audit?date_from=not-a-date")
    assert bad.status_code == 400
    assert "監査ログ" in bad.get_data(as_text=True)
