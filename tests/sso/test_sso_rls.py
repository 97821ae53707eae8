"""RLS of the SSO tables, proven as the application role (inside a transaction that is rolled back)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from tests.sso.conftest import KOTO, OME, configure


@pytest.fixture
def app_role(cluster):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    yield engine
    engine.dispose()


def _as(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})


def test_provider_settings_and_login_states_are_per_tenant(app, app_role) -> None:  # type: ignore[no-untyped-def]
    with app_role.connect() as conn:
        with conn.begin() as tx:
            for code in (OME, KOTO):
                _as(conn, code)
                conn.execute(text("INSERT INTO sso_providers (tenant_id, issuer, client_id) VALUES (:t, 'h', 'c')"),
                             {"t": code})
            _as(conn, OME)
            assert conn.scalar(text("SELECT count(*) FROM sso_providers")) == 1
            assert conn.scalar(text("SELECT tenant_id FROM sso_providers")) == OME
            assert conn.execute(text("UPDATE sso_providers SET client_id = 'x' WHERE tenant_id = :t"),
                                {"t": KOTO}).rowcount == 0
            _as(conn, "")
            assert conn.scalar(text("SELECT count(*) FROM sso_providers")) == 0
            tx.rollback()
        with conn.begin() as tx:
            _as(conn, OME)
            with pytest.raises(DBAPIError):  # writing another tenant's row is refused by WITH CHECK
                conn.execute(text("INSERT INTO sso_providers (tenant_id, issuer, client_id) VALUES (:t, 'h', 'c')"),
                             {"t": KOTO})
            tx.rollback()


def test_directory_is_public_but_each_tenant_writes_only_its_own(app, app_role) -> None:  # type: ignore[no-untyped-def]
    with app_role.connect() as conn:
        with conn.begin() as tx:
            _as(conn, KOTO)
            conn.execute(text("INSERT INTO sso_directory (tenant_code) VALUES (:t)"), {"t": KOTO})
            _as(conn, OME)
            assert conn.scalar(text("SELECT count(*) FROM sso_directory WHERE tenant_code = :t"), {"t": KOTO}) == 1
            assert conn.execute(text("DELETE FROM sso_directory WHERE tenant_code = :t"), {"t": KOTO}).rowcount == 0
            with pytest.raises(DBAPIError):
                conn.execute(text("INSERT INTO sso_directory (tenant_code) VALUES ('131016')"))
            tx.rollback()


def test_disabling_removes_the_municipality_from_the_picker(app, client, idp_a) -> None:  # type: ignore[no-untyped-def]
    configure(app, OME, idp_a.url)
    assert 'href="/login/132055"' in client.get("/login").get_data(as_text=True)
    configure(app, OME, idp_a.url, is_enabled=False)
    assert 'href="/login/132055"' not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/132055").status_code == 400


@pytest.mark.parametrize("table", ["sso_standby_providers", "sso_relink_plans"])
def test_provider_change_tables_are_per_tenant(app, app_role, table: str) -> None:  # type: ignore[no-untyped-def]
    """The candidate/previous providers and the re-link plans (issue 23.3): one tenant neither sees nor
    writes another's rows, also as the application role with raw SQL."""
    insert = {"sso_standby_providers": "INSERT INTO sso_standby_providers (tenant_id, slot) VALUES (:t, 'candidate')",
              "sso_relink_plans": "INSERT INTO sso_relink_plans (tenant_id, user_id, issuer, claim, value) "
                                  "SELECT :t, id, 'https://idp', '', email FROM users WHERE tenant_id = :t LIMIT 1"}
    with app_role.connect() as conn:
        with conn.begin() as tx:
            for code in (OME, KOTO):
                _as(conn, code)
                assert conn.execute(text(insert[table]), {"t": code}).rowcount == 1
            _as(conn, OME)
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == 1  # noqa: S608 (a table name of the parameter list)
            assert conn.scalar(text(f"SELECT tenant_id FROM {table}")) == OME  # noqa: S608 (a table name of the parameter list)
            assert conn.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": KOTO}).rowcount == 0  # noqa: S608 (a table name of the parameter list)
            _as(conn, "")
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0  # noqa: S608 (a table name of the parameter list)
            tx.rollback()
        with conn.begin() as tx:
            _as(conn, OME)
            with pytest.raises(DBAPIError):
                conn.execute(text("INSERT INTO sso_standby_providers (tenant_id, slot) VALUES (:t, 'previous')"),
                             {"t": KOTO})
            tx.rollback()


def test_logout_token_ids_are_per_tenant_and_signing_keys_read_only(app, app_role) -> None:  # type: ignore[no-untyped-def]
    """The jti store of back-channel logout (issue 23.2) is per tenant; the portal's signing keys (23.4)
    can be read but never written by the application role (the operators' CLI writes them as owner)."""
    with app_role.connect() as conn:
        with conn.begin() as tx:
            for code in (OME, KOTO):
                _as(conn, code)
                conn.execute(text("INSERT INTO sso_providers (tenant_id, issuer, client_id) VALUES (:t, 'h', 'c')"),
                             {"t": code})
                conn.execute(text("INSERT INTO sso_logout_tokens (tenant_id, jti_hash) VALUES (:t, 'j')"), {"t": code})
            _as(conn, OME)
            assert conn.scalar(text("SELECT count(*) FROM sso_logout_tokens")) == 1
            assert conn.execute(text("DELETE FROM sso_logout_tokens WHERE tenant_id = :t"), {"t": KOTO}).rowcount == 0
            with pytest.raises(DBAPIError):
                conn.execute(text("INSERT INTO sso_logout_tokens (tenant_id, jti_hash) VALUES (:t, 'k')"), {"t": KOTO})
            tx.rollback()
        with conn.begin() as tx:
            assert conn.scalar(text("SELECT count(*) FROM sso_signing_keys")) is not None
            with pytest.raises(DBAPIError):
                conn.execute(text("INSERT INTO sso_signing_keys (kid, public_jwk, private_key_enc, certificate_pem) "
                                  "VALUES ('k', '{}', 'x', 'y')"))
            tx.rollback()
