"""kernel.driver: hot statements on the driver's cursor, with everything SQLAlchemy's execution does for the portal."""
from __future__ import annotations

import psycopg2
import pytest
from flask import Flask
from sqlalchemy import bindparam, create_engine, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.types import String

from kernel import driver
from kernel.config import normalise_url
from kernel.extensions import db
from tenants.context import as_tenant
from tenants.models import Membership, User
from tests import dbsetup
from tests.conftest import OTHER_TENANT, OWN_TENANT

USERS_OF = (select(User.tenant_id, User.id, User.email, User.created_at)
            .where(User.tenant_id == bindparam("tenant")).order_by(User.id))
ROLES_OF = (select(Membership.user_id, func.array_agg(Membership.role, type_=ARRAY(String(20))).label("roles"))
            .where(Membership.tenant_id == bindparam("tenant"))
            .group_by(Membership.user_id).order_by(Membership.user_id))


def test_rows_are_sqlalchemys_rows_by_position_and_by_name(app: Flask) -> None:
    with app.app_context(), as_tenant(OWN_TENANT):
        connection = db.session.connection()
        for statement in (USERS_OF, ROLES_OF):
            expected = connection.execute(statement, {"tenant": OWN_TENANT}).all()
            found = driver.rows(connection, statement, {"tenant": OWN_TENANT})
            assert expected and found == [tuple(row) for row in expected]
            assert [row._asdict() for row in found] == [row._asdict() for row in expected]
        first = driver.first(connection, ROLES_OF, {"tenant": OWN_TENANT})
        assert first is not None and isinstance(first.roles, list) and first == found[0]
        assert driver.first(connection, USERS_OF, {"tenant": "999999"}) is None
        db.session.rollback()


def test_the_tenant_binding_and_row_level_security_apply(app: Flask) -> None:
    with app.app_context():
        with as_tenant(OWN_TENANT):
            connection = db.session.connection()
            own = driver.rows(connection, USERS_OF, {"tenant": OWN_TENANT})
            other = driver.rows(connection, USERS_OF, {"tenant": OTHER_TENANT})
        assert own and {row.tenant_id for row in own} == {OWN_TENANT}
        assert other == []  # the other municipality's users exist, but RLS shows none of them
        db.session.rollback()
        with as_tenant(OTHER_TENANT):
            assert driver.rows(db.session.connection(), USERS_OF, {"tenant": OTHER_TENANT})
        db.session.rollback()


def test_the_statement_is_seen_by_the_execution_listeners(app: Flask, count_queries) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), as_tenant(OWN_TENANT), count_queries() as statements:
        connection = db.session.connection()
        driver.rows(connection, USERS_OF, {"tenant": OWN_TENANT})
        sql = driver.prepared(USERS_OF, connection.dialect).sql
        db.session.rollback()
    assert [s for s in statements if "FROM users" in s] == [sql]


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(app: Flask) -> None:
    bad = select(literal(1)).where(text("CAST(:value AS integer) > 0"))
    with app.app_context(), as_tenant(OWN_TENANT):
        with pytest.raises(DataError) as raised:
            driver.first(db.session.connection(), bad, {"value": "一"})
        assert isinstance(raised.value.orig, psycopg2.DataError)
        db.session.rollback()
        # the session is usable again after the rollback
        assert driver.first(db.session.connection(), USERS_OF, {"tenant": OWN_TENANT}) is not None
        db.session.rollback()


def test_a_connection_the_server_closed_is_invalidated_and_not_handed_out_again(cluster: dbsetup.TestCluster) -> None:
    # Straight to PostgreSQL (the owner's URL, never through PgBouncer): behind PgBouncer the client's connection
    # outlives a terminated server connection, and no error reaches the driver.
    engine = create_engine(normalise_url(cluster.urls("unit")["DATABASE_OWNER_URL"]), pool_size=1,
                           max_overflow=0)
    pid_of = select(func.pg_backend_pid())
    try:
        with engine.begin() as connection:
            pid = driver.first(connection, pid_of, {})[0]
        dbsetup.terminate_backend(cluster.admin_url, pid)
        with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
            driver.first(connection, pid_of, {})
        assert raised.value.connection_invalidated
        with engine.begin() as connection:
            assert driver.first(connection, pid_of, {})[0] != pid
    finally:
        engine.dispose()


def test_a_statement_whose_parameters_need_sqlalchemy_is_refused(app: Flask) -> None:
    expanding = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(ValueError):
        driver.prepared(expanding, db.engine.dialect)
