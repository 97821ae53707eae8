"""Row-level security of declarations and allocations, proven as the application role on the demo data.

The demo's awarded TMG project has declarations and allocations of 青梅市, 江東区 and 千代田区.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from portal.config import normalise_url
from procurement.demo import AWARDED_TITLE

pytestmark = pytest.mark.no_rollback
OME, KOTO, CHIYODA, TMG = "132055", "131083", "131016", "130001"
TABLES = ("procurement_declarations", "procurement_declaration_lines", "procurement_allocations")


@pytest.fixture(scope="module")
def conn(cluster, app):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _as(conn, tenant: str) -> int:  # type: ignore[no-untyped-def]
    conn.rollback()
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})
    return int(conn.scalar(text("SELECT id FROM procurement_projects WHERE title = :t"), {"t": AWARDED_TITLE}))


def _tenants(conn, table: str, project_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    return set(conn.scalars(text(f"SELECT tenant_id FROM {table} WHERE project_id = :p"), {"p": project_id}))  # noqa: S608


def test_a_participant_sees_only_its_own_rows(conn) -> None:  # type: ignore[no-untyped-def]
    for tenant in (OME, KOTO, CHIYODA):
        project_id = _as(conn, tenant)
        for table in TABLES:
            assert _tenants(conn, table, project_id) == {tenant}, (tenant, table)


def test_the_organiser_reads_every_participant(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, TMG)
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {OME, KOTO, CHIYODA}, table


def test_a_non_participant_and_no_tenant_see_nothing(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, "131024")  # 中央区: no declaration
    for table in TABLES:
        assert _tenants(conn, table, project_id) == set()
    project_id = _as(conn, "")
    for table in TABLES:
        assert _tenants(conn, table, project_id) == set()


def test_nobody_writes_another_municipalitys_declaration(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, OME)
    assert conn.execute(text("UPDATE procurement_declarations SET max_budget_yen = 1 WHERE tenant_id = :t"),
                        {"t": KOTO}).rowcount == 0
    assert conn.execute(text("UPDATE procurement_declaration_lines SET quantity = 1 WHERE tenant_id = :t"),
                        {"t": KOTO}).rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        conn.execute(text("INSERT INTO procurement_declarations (tenant_id, project_id, contact_name, contact_email) "
                          "VALUES (:t, :p, 'x', 'x@example.jp')"), {"t": KOTO, "p": project_id})
    project_id = _as(conn, TMG)  # the organiser reads but never edits a municipality's declaration
    assert conn.execute(text("UPDATE procurement_declarations SET max_budget_yen = 1 WHERE project_id = :p"),
                        {"p": project_id}).rowcount == 0
    conn.rollback()


def test_only_the_organiser_writes_allocations(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, OME)
    with pytest.raises(DBAPIError, match="row-level security"):
        conn.execute(text("INSERT INTO procurement_allocations (tenant_id, project_id, quote_id, total_yen, "
                          "standalone_yen, lines) SELECT :t, :p, awarded_quote_id, 0, 0, '{}' "
                          "FROM procurement_projects WHERE id = :p"), {"t": KOTO, "p": project_id})
    conn.rollback()
    _as(conn, TMG)
    with pytest.raises(DBAPIError, match="permission denied"):  # allocations are written once, never changed
        conn.execute(text("UPDATE procurement_allocations SET total_yen = 0"))
    conn.rollback()


def test_demo_allocation_adds_up_exactly(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, TMG)
    total = conn.scalar(text("SELECT contract_total_yen FROM procurement_projects WHERE id = :p"), {"p": project_id})
    shares = conn.scalar(text("SELECT sum(total_yen) FROM procurement_allocations WHERE project_id = :p"),
                         {"p": project_id})
    assert total == shares
    conn.rollback()
