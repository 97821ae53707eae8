"""The tenant binding rides in front of a transaction's first statement (issue 25.5), and stays as tight
as a statement of its own: transaction-local, never carried to a later transaction or another user of
the pooled connection, never applied to a connection that did not ask for it."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from kernel.config import normalise_url
from tenants.context import bind_tenant
from tests.conftest import OTHER_TENANT, OWN_TENANT

pytestmark = pytest.mark.no_rollback

_SETTING = text("SELECT current_setting('app.tenant_id', true)")
_USERS = text("SELECT count(*) FROM users")


@pytest.fixture
def one_connection(cluster):  # type: ignore[no-untyped-def]
    """A pool of exactly one connection of the application role: every checkout is the same socket."""
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=StaticPool)
    yield engine
    engine.dispose()


def test_the_binding_goes_with_the_first_statement_and_ends_with_the_transaction(app, one_connection) -> None:  # type: ignore[no-untyped-def]
    sent: list[str] = []

    def record(conn, cursor, statement, *_args):  # type: ignore[no-untyped-def]
        sent.append(statement)

    from sqlalchemy import event

    event.listen(one_connection, "after_cursor_execute", record)
    with app.app_context():
        bind_tenant(OWN_TENANT)
        with Session(one_connection) as session:
            own = session.scalar(_USERS)
            assert session.scalar(_SETTING) == OWN_TENANT
            session.commit()
        assert own and own > 0
        assert len(sent) == 2 and sent[0].startswith("SELECT set_config('app.tenant_id'") \
            and "FROM users" in sent[0], sent  # one round trip: binding and statement together
        # The next user of the same pooled connection, without a session (no binding asked for): nothing
        # of the earlier transaction is left, neither on the server nor pending in the process.
        with one_connection.connect() as conn:
            assert conn.scalar(_SETTING) in ("", None)
            assert conn.scalar(_USERS) == 0


def test_a_binding_never_sent_is_not_sent_later_on_the_same_connection(app, one_connection) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(OTHER_TENANT)
        with Session(one_connection) as session:
            session.connection()  # a transaction begins (the binding is pending) but no statement follows
            session.commit()
        with one_connection.connect() as conn:
            assert conn.scalar(_USERS) == 0
            assert conn.scalar(_SETTING) in ("", None)


def test_rebinding_in_a_transaction_applies_to_the_next_statement(app) -> None:  # type: ignore[no-untyped-def]
    from kernel.extensions import db

    with app.app_context():
        try:
            bind_tenant(OWN_TENANT)
            assert db.session.scalar(_SETTING) == OWN_TENANT
            bind_tenant(OTHER_TENANT)  # the request's session is in a transaction: the new binding goes next
            assert db.session.scalar(_SETTING) == OTHER_TENANT
            bind_tenant(None)
            assert db.session.scalar(_SETTING) == ""
            assert db.session.scalar(_USERS) == 0
        finally:
            db.session.rollback()
            db.session.remove()
