"""A transaction's BEGIN goes in the same message as its first statement (kernel/begin.py), and the transaction is
as tight as with psycopg2's own BEGIN: atomic, rolled back on error and when a connection goes back to the pool,
an error at COMMIT raised as SQLAlchemy raises it, the tenant binding local to it."""
from __future__ import annotations

import psycopg2.extensions as ext
import pytest
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool, QueuePool, StaticPool

from kernel import begin
from kernel.config import normalise_url
from kernel.extensions import db
from tenants.context import bind_tenant
from tests.conftest import OWN_TENANT

pytestmark = pytest.mark.no_rollback

_SETTING = text("SELECT current_setting('app.tenant_id', true)")
_USERS = text("SELECT count(*) FROM users")
_COUNT = text("SELECT count(*) FROM begin_probe")
_VALUES = text("SELECT coalesce(array_agg(v ORDER BY v), '{}') FROM begin_probe")
_INSERT = text("INSERT INTO begin_probe (v) VALUES (:v)")


def _engine(cluster, **options):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), **options)
    begin.install(engine)
    return engine


@pytest.fixture
def probe(cluster, app):  # type: ignore[no-untyped-def]  # app: the unit database
    """A table the application role may write (made by the owner, dropped after the test): what a transaction
    committed is read back on another connection."""
    owner = create_engine(normalise_url(cluster.urls("unit")["DATABASE_OWNER_URL"]), poolclass=NullPool)
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE begin_probe (v integer UNIQUE DEFERRABLE INITIALLY DEFERRED)"))
        conn.execute(text(f"GRANT SELECT, INSERT ON begin_probe TO {cluster.app_role}"))
    yield lambda: _committed(owner)
    with owner.begin() as conn:
        conn.execute(text("DROP TABLE begin_probe"))
    owner.dispose()


def _committed(owner) -> list[int]:  # type: ignore[no-untyped-def]
    with owner.connect() as conn:
        return list(conn.scalar(_VALUES))


@pytest.fixture
def one_connection(cluster, probe):  # type: ignore[no-untyped-def]
    """One connection of the application role (every checkout the same socket), the statements sent on it and
    what the probe table holds committed."""
    engine = _engine(cluster, poolclass=StaticPool)
    sent: list[str] = []
    event.listen(engine, "after_cursor_execute", lambda _c, _cur, statement, *_a: sent.append(statement))
    yield engine, sent, probe
    engine.dispose()


def _status(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.connection.dbapi_connection.info.transaction_status)


def test_begin_binding_and_statement_go_in_one_message(app, one_connection) -> None:  # type: ignore[no-untyped-def]
    engine, sent, _committed = one_connection
    with app.app_context():
        bind_tenant(OWN_TENANT)
        with Session(engine) as session:
            assert session.scalar(_USERS) > 0
            dbapi_connection = session.connection().connection.dbapi_connection
            # psycopg2 sends nothing of its own (autocommit) and the server has the transaction open.
            assert dbapi_connection.autocommit and dbapi_connection.status == ext.STATUS_READY
            assert dbapi_connection.info.transaction_status == ext.TRANSACTION_STATUS_INTRANS
            assert session.scalar(_SETTING) == OWN_TENANT
            session.commit()
            assert dbapi_connection.info.transaction_status == ext.TRANSACTION_STATUS_IDLE
    assert sent[0].startswith("BEGIN; SELECT set_config('app.tenant_id'") and sent[0].endswith("FROM users"), sent
    assert sent[1] == "SELECT current_setting('app.tenant_id', true)", sent  # once per transaction
    with engine.connect() as conn:  # the binding ended with the transaction
        assert conn.scalar(_SETTING) in ("", None)
        assert conn.scalar(_USERS) == 0


def test_statements_of_a_transaction_commit_or_roll_back_together(one_connection) -> None:  # type: ignore[no-untyped-def]
    engine, sent, committed = one_connection
    with engine.connect() as conn:
        conn.execute(_INSERT, {"v": 1})
        conn.execute(_INSERT, {"v": 2})
        assert committed() == []  # not committed on their own
        conn.rollback()
        assert conn.scalar(_COUNT) == 0
        conn.execute(_INSERT, {"v": 3})
        conn.execute(_INSERT, {"v": 4})
        assert committed() == []
        conn.commit()
        assert committed() == [3, 4]  # read on another connection
    assert sent[:2] == ["BEGIN; INSERT INTO begin_probe (v) VALUES (%(v)s)",
                        "INSERT INTO begin_probe (v) VALUES (%(v)s)"], sent


def test_several_parameter_sets_first_are_in_the_transaction(one_connection) -> None:  # type: ignore[no-untyped-def]
    engine, _sent, committed = one_connection
    with engine.connect() as conn:
        conn.execute(_INSERT, [{"v": 1}, {"v": 2}])  # executemany: its BEGIN is sent alone, once
        assert committed() == []
        conn.rollback()
        conn.execute(_INSERT, [{"v": 3}, {"v": 4}])
        conn.commit()
    assert committed() == [3, 4]


def test_an_error_rolls_the_whole_transaction_back(one_connection) -> None:  # type: ignore[no-untyped-def]
    engine, _sent, committed = one_connection
    with engine.connect() as conn:
        conn.execute(_INSERT, {"v": 1})
        with pytest.raises(exc.DataError):
            conn.execute(text("SELECT 1 / 0"))
        conn.rollback()
        assert conn.scalar(_COUNT) == 0
    assert committed() == []
    assert _status(engine) == ext.TRANSACTION_STATUS_IDLE


@pytest.mark.parametrize("with_begin_in_front", [True, False])
def test_an_error_at_commit_is_raised_as_sqlalchemy_raises_it(cluster, probe, with_begin_in_front) -> None:  # type: ignore[no-untyped-def]
    """The same error and the same state afterwards as with psycopg2's own transaction (the second case)."""
    url = normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"])
    engine = _engine(cluster, poolclass=StaticPool) if with_begin_in_front else create_engine(url, poolclass=StaticPool)
    try:
        with engine.connect() as conn:
            conn.execute(_INSERT, {"v": 1})
            conn.execute(_INSERT, {"v": 1})  # the unique constraint is checked at COMMIT (deferred)
            with pytest.raises(exc.IntegrityError, match="begin_probe_v_key"):
                conn.commit()
            conn.rollback()  # as SQLAlchemy asks after any failed commit
            conn.execute(_INSERT, {"v": 2})
            conn.commit()
        assert probe() == [2]
        assert _status(engine) == ext.TRANSACTION_STATUS_IDLE
    finally:
        engine.dispose()


def test_a_connection_returned_with_an_open_transaction_is_rolled_back(cluster, probe) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(cluster, poolclass=QueuePool, pool_size=1, max_overflow=0)
    try:
        raw = engine.raw_connection()  # the pool's connection without SQLAlchemy's transaction
        cursor = raw.cursor()
        cursor.execute("BEGIN; INSERT INTO begin_probe (v) VALUES (1)")
        cursor.close()
        raw.close()  # back to the pool: its reset rolls the open transaction back
        with engine.connect() as conn:  # the same connection (a pool of one)
            assert conn.connection.dbapi_connection.info.transaction_status == ext.TRANSACTION_STATUS_IDLE
            conn.execute(_INSERT, {"v": 2})
            conn.commit()
        assert probe() == [2]
    finally:
        engine.dispose()


def test_autocommit_isolation_sends_no_begin(one_connection) -> None:  # type: ignore[no-untyped-def]
    engine, sent, committed = one_connection
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(_INSERT, {"v": 1})
        assert committed() == [1]  # committed at once, as SQLAlchemy's AUTOCOMMIT means
        conn.rollback()
    assert sent == ["INSERT INTO begin_probe (v) VALUES (%(v)s)"], sent
    assert committed() == [1]


def test_the_portal_engine_sends_its_begin_with_the_first_statement(app) -> None:  # type: ignore[no-untyped-def]
    """The application's own engine has it (portal/app.py): a request's first message opens the transaction."""
    sent: list[str] = []
    with app.app_context():
        engine = db.engines[None]

        def listener(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            sent.append(statement)

        event.listen(engine, "after_cursor_execute", listener)
        try:
            bind_tenant(OWN_TENANT)
            assert db.session.scalar(_USERS) > 0
            db.session.commit()
        finally:
            event.remove(engine, "after_cursor_execute", listener)
            db.session.remove()
    assert len(sent) == 1 and sent[0].startswith("BEGIN; SELECT set_config('app.tenant_id'"), sent


def test_an_engine_with_an_isolation_level_of_its_own_keeps_it(cluster, probe) -> None:  # type: ignore[no-untyped-def]
    """Its connections stay with psycopg2, whose BEGIN sets the level (the portal's BEGIN is plain)."""
    engine = _engine(cluster, poolclass=StaticPool, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT current_setting('transaction_isolation')")) == "repeatable read"
            conn.execute(_INSERT, {"v": 1})
            conn.commit()
        assert probe() == [1]
    finally:
        engine.dispose()
