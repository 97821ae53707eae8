"""The notification tables under RLS, as the application role: another municipality's rows are invisible."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from tests.conftest import OTHER_TENANT, OWN_TENANT

pytestmark = pytest.mark.no_rollback


@pytest.fixture(scope="module")
def app_engine(cluster):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    yield engine
    engine.dispose()


def _bind(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})


def _count(conn, table: str, tenant: str | None = None) -> int:  # type: ignore[no-untyped-def]
    sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - table names from the test's own list
    if tenant is None:
        return int(conn.scalar(text(sql)))
    return int(conn.scalar(text(sql + " WHERE tenant_id = :t"), {"t": tenant}))


@pytest.mark.parametrize("table, insert", [
    ("notifications", "INSERT INTO notifications (tenant_id, user_id, kind, params, url) SELECT tenant_id, id, "
                      "'test.x', '{\"title\": \"秘密\"}', '/x' FROM users WHERE tenant_id = :t LIMIT 1"),
    ("mail_outbox", "INSERT INTO mail_outbox (tenant_id, to_address, subject, body) "
                    "VALUES (:t, 'a@b.jp', '秘密', '秘密')"),
    ("notification_settings", "INSERT INTO notification_settings (tenant_id, user_id, email_mode) "
                              "SELECT tenant_id, id, 'digest' FROM users WHERE tenant_id = :t LIMIT 1"),
])
def test_rows_of_another_municipality_are_invisible_and_unwritable(app, app_engine, table, insert):  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        transaction = conn.begin()
        try:
            _bind(conn, OTHER_TENANT)
            assert conn.execute(text(insert), {"t": OTHER_TENANT}).rowcount == 1
            assert _count(conn, table, OTHER_TENANT) >= 1
            _bind(conn, OWN_TENANT)
            assert _count(conn, table, OTHER_TENANT) == 0
            update = f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = :t"  # noqa: S608 - as above
            assert conn.execute(text(update), {"t": OTHER_TENANT}).rowcount == 0
            _bind(conn, "")
            assert _count(conn, table) == 0
            _bind(conn, OWN_TENANT)
            if table == "mail_outbox":
                with pytest.raises(DBAPIError, match="row-level security"):
                    with conn.begin_nested():
                        conn.execute(text(insert), {"t": OTHER_TENANT})
        finally:
            transaction.rollback()
