"""A streaming read replica (issue 25.2): a hot standby of a private PostgreSQL 15 primary on loopback.

Lag-tolerant reads (the casebook) go to the standby; right after a person's write they come from the
primary; a standby that lags past the limit or is down is skipped without an error."""
from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from casebook import entry_page
from kernel.db_admin import ensure_roles_and_database
from kernel.extensions import db
from portal.app import create_app
from tests.conftest import BASE_CONFIG, login
from tests.ops.pgcluster import PG15_BIN, LocalCluster, give_to_postgres_user

pytestmark = [pytest.mark.no_rollback,
              pytest.mark.skipif(not (PG15_BIN / "initdb").exists(), reason="bootstrap.sh --browser installs it")]

OWNER, APP_ROLE, DATABASE = "yokoten_owner", "yokoten_app", "yokoten"


def _caught_up(primary: LocalCluster, standby: LocalCluster) -> None:
    target = primary.sql("SELECT pg_current_wal_lsn()::text")[0][0]
    deadline = time.monotonic() + 30
    while not standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0][0]:
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[LocalCluster, LocalCluster]]:
    """A primary with the portal's schema and demo data, and a hot standby streaming from it."""
    from flask_migrate import upgrade

    from devtools.cli import load_all_demo

    primary = LocalCluster(PG15_BIN).init().start()
    standby = LocalCluster(PG15_BIN)
    try:
        ensure_roles_and_database(primary.admin_url, OWNER, APP_ROLE, DATABASE)
        setup = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": primary.url(APP_ROLE, DATABASE),
                            "DATABASE_OWNER_URL": primary.url(OWNER, DATABASE)})
        with setup.app_context():
            upgrade()
            load_all_demo()
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        shutil.rmtree(standby.data, ignore_errors=True)
        give_to_postgres_user(standby.base)
        primary.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(standby.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
        standby.start()
        assert standby.sql("SELECT pg_is_in_recovery()")[0][0]
        _caught_up(primary, standby)
        yield primary, standby
    finally:
        standby.remove()
        primary.remove()


@pytest.fixture
def portal(pair) -> Iterator[tuple[Any, list[str]]]:  # type: ignore[no-untyped-def]
    primary, standby = pair
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": primary.url(APP_ROLE, DATABASE),
                      "DATABASE_OWNER_URL": primary.url(OWNER, DATABASE),
                      "DATABASE_READ_URL": standby.url(APP_ROLE, DATABASE), "DATABASE_READ_MAX_LAG": 0.0})
    replica_reads: list[str] = []

    def count(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # (the entry page's statement is the call of its plan function: kernel/kept_plans.py)
        if "casebook_entries" in statement or entry_page._PAGE.function[0] in statement:
            replica_reads.append(statement)

    engine = app.extensions["yokoten_read_replica"].engine
    event.listen(engine, "before_cursor_execute", count)
    yield app, replica_reads
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        db.session.remove()
        for each in db.engines.values():
            each.dispose()
    engine.dispose()


def test_casebook_reads_come_from_the_replica_but_not_right_after_a_write(pair, portal) -> None:  # type: ignore[no-untyped-def]
    primary, standby = pair
    app, replica_reads = portal
    client = app.test_client()
    login(client, "member")  # a write (the server-side session)
    assert client.get("/casebook?q=窓口").status_code == 200
    assert replica_reads == [], "read from the replica within the read-your-writes window after the login"
    with client.session_transaction() as state:  # the login was long ago
        state["wrote_at"] = int(time.time()) - 3600
    _caught_up(primary, standby)  # (the limit is 0 s in these tests: the login's WAL must be replayed)
    page = client.get("/casebook?q=窓口")
    assert page.status_code == 200 and replica_reads, "the casebook search did not read from the replica"
    # a casebook entry's page too (its one statement declares what it reads: casebook.entry_page.READS)
    entry = re.search(r'href="/casebook/(\d+)"', page.get_data(as_text=True))
    assert entry is not None
    before = len(replica_reads)
    shown = client.get(f"/casebook/{entry.group(1)}")
    assert shown.status_code == 200 and len(replica_reads) > before, "the entry page did not read from the replica"
    # a municipality's own cases never come from the replica
    before = len(replica_reads)
    assert client.get("/cases").status_code == 200 and len(replica_reads) == before
    # the person writes something (switches language): their next reads are from the primary again
    assert client.post("/lang", data={"lang": "en", "next": "/casebook"}).status_code == 302
    assert client.get("/casebook?q=窓口").status_code == 200 and len(replica_reads) == before


def test_a_lagging_or_stopped_replica_is_skipped_without_error(pair, portal) -> None:  # type: ignore[no-untyped-def]
    primary, standby = pair
    app, replica_reads = portal
    client = app.test_client()
    login(client, "member")
    with client.session_transaction() as state:
        state["wrote_at"] = 0
    _caught_up(primary, standby)
    assert client.get("/casebook").status_code == 200 and replica_reads
    # lagging: replay paused on the standby while the primary writes (limit 0 s in this test)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        primary.sql("UPDATE tenants SET name_en = name_en WHERE code = '132055'", DATABASE)
        deadline = time.monotonic() + 30
        while standby.sql("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()", DATABASE)[0][0]:
            assert time.monotonic() < deadline, "the standby received nothing"
            time.sleep(0.05)
        before = len(replica_reads)
        assert client.get("/casebook").status_code == 200 and len(replica_reads) == before
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    _caught_up(primary, standby)
    before = len(replica_reads)
    assert client.get("/casebook").status_code == 200 and len(replica_reads) > before
    # down: the standby stopped; pages still answer, from the primary
    standby.stop()
    try:
        before = len(replica_reads)
        for _ in range(3):
            assert client.get("/casebook?q=窓口").status_code == 200
        assert len(replica_reads) == before
    finally:
        standby.start()


def test_which_statements_name_only_replica_tables() -> None:
    # The search's statements (subqueries, a LATERAL, unnest over a column) count as the tables they
    # read; a municipality's own table anywhere in a statement, however nested, keeps it on the primary.
    from sqlalchemy import func, select, true

    from casebook import queries
    from casebook.models import Case, Entry
    from portal.read_replica import REPLICA_TABLES, _tables
    from tenants.models import Tenant

    assert _tables(queries._first_matches_statement((), True, True, 1)) <= REPLICA_TABLES
    from casebook.entry_page import READS
    from portal.read_replica import LAG_TOLERANT

    assert READS.get_execution_options()[LAG_TOLERANT] and not _tables(READS) <= REPLICA_TABLES
    assert _tables(queries._first_matches_statement(("kind", "theme"), True, True, 2)) <= REPLICA_TABLES
    words = func.unnest(Entry.search_vector).table_valued("lexeme").render_derived(name="w")
    lexemes = select(func.array_agg(words.c.lexeme)).select_from(words).lateral("lexemes")
    assert _tables(select(Entry, Tenant).join(Tenant, Tenant.code == Entry.source_tenant_id)
                   .join(lexemes, true())) == {"casebook_entries", "tenants"}
    private = select(Case.id).subquery()
    assert "cases" in _tables(select(Entry.id).where(Entry.id.in_(select(private.c.id))))
    assert "cases" in _tables(select(Entry.id).join(select(Case.id).lateral("own"), true()))
