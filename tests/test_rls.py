"""Row-level security, proven as the application role (never as the owner)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, StaticPool

from kernel.config import normalise_url
from tests.conftest import OTHER_TENANT, OWN_TENANT

pytestmark = pytest.mark.no_rollback


@pytest.fixture(scope="module")
def app_engine(cluster):  # type: ignore[no-untyped-def]
    """A raw connection pool of the application role on the unit database (raw SQL, no ORM)."""
    urls = cluster.urls("unit")
    engine = create_engine(normalise_url(urls["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    yield engine
    engine.dispose()


def _tenant_tables(conn) -> list[str]:  # type: ignore[no-untyped-def]
    return list(conn.scalars(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1")))


def test_catalog_every_tenant_table_has_forced_rls_with_using_and_check(app, app_engine):  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        tables = _tenant_tables(conn)
        assert {"users", "memberships", "auth_sessions", "audit_log"} <= set(tables)
        for table in tables:
            enabled, forced = conn.execute(text(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :t"), {"t": table}).one()
            assert enabled and forced, f"{table}: RLS must be enabled and forced"
            policies = conn.execute(text(
                "SELECT qual, with_check FROM pg_policies WHERE tablename = :t AND cmd = 'ALL'"), {"t": table}).all()
            assert any(q and c and "app.tenant_id" in q and "app.tenant_id" in c for q, c in policies), \
                f"{table}: needs a policy with USING and WITH CHECK on app.tenant_id"


def test_app_role_is_not_privileged_and_owns_nothing(app, app_engine, cluster):  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        su, bypass = conn.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        assert not su and not bypass
        assert conn.scalar(text("SELECT current_user")) == cluster.app_role
        owned = conn.scalar(text(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = current_user"))
        assert owned == 0


def test_no_tenant_set_means_zero_rows(app_engine):  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users")) == 0
        conn.execute(text("SELECT set_config('app.tenant_id', '', true)"))
        assert conn.scalar(text("SELECT count(*) FROM users")) == 0
        assert conn.scalar(text("SELECT count(*) FROM tenants")) == 63  # reference data stays readable


def _bind(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})


def test_tenant_a_cannot_touch_tenant_b_even_with_raw_sql(app_engine):  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        with conn.begin():
            _bind(conn, OTHER_TENANT)
            other_ids = list(conn.scalars(text("SELECT id FROM users")))
            assert other_ids, "江東区 has demo users"
        with conn.begin() as trans:
            _bind(conn, OWN_TENANT)
            assert conn.scalar(text("SELECT count(*) FROM users WHERE tenant_id = :t"), {"t": OTHER_TENANT}) == 0
            updated = conn.execute(text("UPDATE users SET display_name = 'x' WHERE tenant_id = :t"),
                                   {"t": OTHER_TENANT}).rowcount
            deleted = conn.execute(text("DELETE FROM memberships WHERE tenant_id = :t"),
                                   {"t": OTHER_TENANT}).rowcount
            assert updated == 0 and deleted == 0
            trans.rollback()
        with conn.begin() as trans:
            _bind(conn, OWN_TENANT)
            with pytest.raises(DBAPIError, match="row-level security"):
                conn.execute(text("INSERT INTO users (tenant_id, email, display_name) VALUES (:t, 'x@y', 'x')"),
                             {"t": OTHER_TENANT})
            trans.rollback()
        with conn.begin() as trans:
            _bind(conn, OWN_TENANT)
            own_id = conn.scalar(text("SELECT id FROM users LIMIT 1"))
            with pytest.raises(DBAPIError, match="row-level security"):
                conn.execute(text("UPDATE users SET tenant_id = :o WHERE id = :i"), {"o": OTHER_TENANT, "i": own_id})
            trans.rollback()


def test_pool_of_one_connection_does_not_carry_tenant_over(cluster):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=StaticPool)
    try:
        with engine.connect() as conn, conn.begin():
            _bind(conn, OWN_TENANT)
            assert conn.scalar(text("SELECT count(*) FROM users")) > 0
        with engine.connect() as conn:  # the same physical connection, next "request"
            assert conn.scalar(text("SELECT current_setting('app.tenant_id', true)")) in ("", None)
            assert conn.scalar(text("SELECT count(*) FROM users")) == 0
    finally:
        engine.dispose()


def test_app_session_binds_tenant_per_request_through_one_connection(cluster):  # type: ignore[no-untyped-def]
    """The real app with a pool of one: a logged-in request, then an anonymous one, see different rows."""
    from kernel.extensions import db
    from portal.app import create_app
    from tests.conftest import BASE_CONFIG, login

    app = create_app({**BASE_CONFIG, **cluster.urls("unit"),
                      "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": StaticPool}})
    client = app.test_client()
    login(client, "member")
    assert client.get("/admin/users").status_code == 403  # a member, bound to 青梅市
    anonymous = app.test_client()
    with app.app_context():
        rows = db.session.execute(text("SELECT count(*) FROM users")).scalar()
        setting = db.session.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar()
        db.session.remove()
    assert rows == 0 and setting in ("", None)
    assert anonymous.get("/").status_code == 302
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def test_no_view_returns_rows_past_rls(app_engine):  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        views = list(conn.scalars(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')")))
        for view in views:
            # With no tenant bound every view over tenant rows must be empty.
            options = conn.scalar(text("SELECT reloptions FROM pg_class WHERE relname = :v"), {"v": view}) or []
            assert "security_invoker=true" in options or "security_invoker=on" in options, \
                f"view {view} must be security_invoker"
            count = conn.scalar(text(f'SELECT count(*) FROM "{view}"'))  # noqa: S608 - catalog name
            has_tenant = conn.scalar(text(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = :v AND column_name = 'tenant_id'"),
                {"v": view})
            if has_tenant:
                assert count == 0, f"view {view} shows tenant rows without a tenant"
