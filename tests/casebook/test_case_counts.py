"""Each municipality's number of cases, kept by the database (migration 20261207f_case_counts), is the count of its
cases: after the services' writes, a statement of several rows, the owner's deletes, moves and TRUNCATE, and under
concurrent writers with real commits and a rollback; the dashboard's figure "Our cases" shows it."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from casebook.models import Case, CaseCount
from kernel.extensions import db
from portal.backup import libpq
from tenants.context import as_tenant
from tests.conftest import committing_app, run_together
from tests.factories.casebook import make_case
from tests.factories.tenants import user

OME, KOTO = "132055", "131083"


def _kept(tenant: str) -> int:
    with as_tenant(tenant):
        return int(db.session.scalar(select(func.coalesce(func.max(CaseCount.cases), 0))
                                     .where(CaseCount.tenant_id == tenant)))


def _counted(tenant: str) -> int:
    with as_tenant(tenant):
        return int(db.session.scalar(select(func.count()).select_from(Case).where(Case.tenant_id == tenant)))


def _figure(person: Any) -> str:
    from flask import url_for

    from kernel.dashboard import figures_for

    return {f.url: f.value for f in figures_for(person)}[url_for("casebook.cases_index")]


def test_the_kept_count_follows_the_cases(app_ctx) -> None:  # type: ignore[no-untyped-def]
    before = {tenant: _counted(tenant) for tenant in (OME, KOTO)}
    assert {tenant: _kept(tenant) for tenant in before} == before
    for title in ("一件目", "二件目", "三件目"):
        make_case(OME, "member@ome.example.jp", title=title)
    make_case(KOTO, "member@koto.example.jp", title="江東区の事例")
    assert (_kept(OME), _kept(KOTO)) == (before[OME] + 3, before[KOTO] + 1)
    assert (_kept(OME), _kept(KOTO)) == (_counted(OME), _counted(KOTO))
    # One statement of several rows (an import's batch): added in one write.
    user("member")  # bound to 青梅市
    db.session.execute(text(
        "INSERT INTO cases (tenant_id, title, summary) SELECT :t, 'まとめて' || n, '' FROM generate_series(1, 5) n"),
        {"t": OME})
    assert _kept(OME) == _counted(OME) == before[OME] + 8
    with app_ctx.test_request_context():
        assert _figure(user("member")) == f"{before[OME] + 8:,}"


def test_the_application_role_cannot_write_the_count(app_ctx) -> None:  # type: ignore[no-untyped-def]
    user("tenant_admin")
    for statement in ("UPDATE case_counts SET cases = 0", "DELETE FROM case_counts",
                      "INSERT INTO case_counts (tenant_id, cases) VALUES ('132055', 1)"):
        with pytest.raises(Exception, match="permission denied"), db.session.begin_nested():
            db.session.execute(text(statement))


def test_the_owners_maintenance_keeps_it_exact(app) -> None:  # type: ignore[no-untyped-def]
    """Cases deleted, moved to another municipality: in the owner's own transaction, rolled back."""
    owner = psycopg2.connect(libpq(app.config["DATABASE_OWNER_URL"]))
    try:
        cur = owner.cursor()

        def kept_and_counted(tenant: str) -> tuple[int, int]:
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            cur.execute("SELECT (SELECT cases FROM case_counts WHERE tenant_id = %s), "
                        "(SELECT count(*) FROM cases WHERE tenant_id = %s)", (tenant, tenant))
            kept, counted = cur.fetchone()
            return kept or 0, counted

        start = {tenant: kept_and_counted(tenant) for tenant in (OME, KOTO)}
        assert all(kept == counted for kept, counted in start.values())
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (OME,))
        cur.execute("INSERT INTO cases (tenant_id, title, summary) SELECT %s, '削除用' || n, '' "
                    "FROM generate_series(1, 3) n RETURNING id", (OME,))
        ids = [row[0] for row in cur.fetchall()]
        cur.execute("DELETE FROM cases WHERE tenant_id = %s AND id = ANY(%s)", (OME, ids[:2]))
        assert kept_and_counted(OME) == (start[OME][0] + 1, start[OME][0] + 1)
        # Moved to 江東区 (no versions refer to it): the owner with row-level security lifted on cases only.
        cur.execute("ALTER TABLE cases NO FORCE ROW LEVEL SECURITY")
        cur.execute("UPDATE cases SET tenant_id = %s WHERE tenant_id = %s AND id = %s", (KOTO, OME, ids[2]))
        cur.execute("ALTER TABLE cases FORCE ROW LEVEL SECURITY")
        assert kept_and_counted(OME) == (start[OME][0], start[OME][0])
        assert kept_and_counted(KOTO) == (start[KOTO][0] + 1, start[KOTO][0] + 1)
    finally:
        owner.rollback()
        owner.close()


# --- concurrent writers, real commits ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_app(cluster) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with committing_app(cluster, "case_counts_conc", 10) as application:
        yield application


@pytest.mark.no_rollback
def test_concurrent_writers_and_a_rollback(real_app: Flask) -> None:
    with real_app.app_context():
        before = {tenant: _counted(tenant) for tenant in (OME, KOTO)}
        db.session.remove()
    # Five new cases of 青梅市 and three of 江東区 at the same instant, one more of 青梅市 rolled back.
    jobs = [(OME, "member@ome.example.jp", False)] * 5 + [(KOTO, "member@koto.example.jp", False)] * 3 + [
        (OME, "admin@ome.example.jp", True)]

    def write(tenant: str, email: str, roll_back: bool) -> Callable[[], None]:
        def job() -> None:
            make_case(tenant, email, title="同時に作成")
            if roll_back:
                db.session.rollback()  # the case and its count taken back together

        return job

    errors = run_together(real_app, [write(*job) for job in jobs])
    assert errors == []
    with real_app.app_context():
        assert (_counted(OME), _counted(KOTO)) == (before[OME] + 5, before[KOTO] + 3)
        assert (_kept(OME), _kept(KOTO)) == (_counted(OME), _counted(KOTO))
        db.session.remove()
    # TRUNCATE (the owner's, rolled back): nothing left to count.
    owner = psycopg2.connect(libpq(real_app.config["DATABASE_OWNER_URL"]))
    try:
        cur = owner.cursor()
        cur.execute("TRUNCATE cases CASCADE")
        cur.execute("ALTER TABLE case_counts NO FORCE ROW LEVEL SECURITY")
        cur.execute("SELECT count(*) FROM case_counts")
        assert cur.fetchone()[0] == 0
    finally:
        owner.rollback()
        owner.close()
