"""Row-level security of declarations and allocations, proven as the application role on the demo data.

The demo's awarded TMG project has declarations and allocations of 青梅市, 江東区 and 千代田区; the
demo project 江東区 leads has declarations and allocations of the same three. The organiser is a
person (TMG's curator, 江東区's tenant admin), not the whole organising tenant.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from devtools.demo.procurement import AWARDED_TITLE, LED_TITLE
from kernel.config import normalise_url

pytestmark = pytest.mark.no_rollback
OME, KOTO, CHIYODA, TMG = "132055", "131083", "131016", "130001"
TABLES = ("procurement_declarations", "procurement_declaration_lines", "procurement_allocations")


@pytest.fixture(scope="module")
def conn(cluster, app):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _as(conn, tenant: str, email: str = "", title: str = AWARDED_TITLE) -> int:  # type: ignore[no-untyped-def]
    """Bind a tenant (and the user with that e-mail in it, as a request does); the project's id."""
    conn.rollback()
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true), set_config('app.user_id', '', true)"),
                 {"t": tenant})
    if email:
        user_id = conn.scalar(text("SELECT id FROM users WHERE email = :e"), {"e": email})
        assert user_id is not None, email
        conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(user_id)})
    return int(conn.scalar(text("SELECT id FROM procurement_projects WHERE title = :t"), {"t": title}))


def _tenants(conn, table: str, project_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    return set(conn.scalars(text(f"SELECT tenant_id FROM {table} WHERE project_id = :p"), {"p": project_id}))  # noqa: S608


def test_a_participant_sees_only_its_own_rows(conn) -> None:  # type: ignore[no-untyped-def]
    for tenant in (OME, KOTO, CHIYODA):
        project_id = _as(conn, tenant)
        for table in TABLES:
            assert _tenants(conn, table, project_id) == {tenant}, (tenant, table)


def test_the_organiser_reads_every_participant(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, TMG, "curator@metro.tokyo.example.jp")
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {OME, KOTO, CHIYODA}, table
    project_id = _as(conn, KOTO, "admin@koto.example.jp", LED_TITLE)  # a municipality as organiser
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {OME, KOTO, CHIYODA}, table


@pytest.mark.parametrize("email", ["judge@metro.tokyo.example.jp", "operator@metro.tokyo.example.jp", ""])
def test_other_people_of_tmg_read_no_participant(conn, email: str) -> None:  # type: ignore[no-untyped-def]
    """A judge, an operator (or TMG with no user bound) is not the organiser of TMG's project."""
    project_id = _as(conn, TMG, email)
    for table in TABLES:
        assert _tenants(conn, table, project_id) == set(), (email, table)


def test_a_member_of_the_lead_municipality_reads_only_its_own_row(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, KOTO, "member@koto.example.jp", LED_TITLE)
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {KOTO}, table
    project_id = _as(conn, OME, "admin@ome.example.jp", LED_TITLE)  # a participant: its own row
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {OME}, table
    project_id = _as(conn, KOTO, "admin@koto.example.jp")  # 江東区's admin on TMG's project: a participant
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {KOTO}, table


def test_a_user_id_of_another_tenant_does_not_make_an_organiser(conn) -> None:  # type: ignore[no-untyped-def]
    """The curator's id bound with 江東区 as the tenant (never happens in a request) admits nothing more."""
    conn.rollback()
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": TMG})
    curator = conn.scalar(text("SELECT id FROM users WHERE email = 'curator@metro.tokyo.example.jp'"))
    project_id = _as(conn, KOTO)
    conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(curator)})
    for table in TABLES:
        assert _tenants(conn, table, project_id) == {KOTO}, table


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
    project_id = _as(conn, TMG, "curator@metro.tokyo.example.jp")  # the organiser reads, never edits
    assert conn.execute(text("UPDATE procurement_declarations SET max_budget_yen = 1 WHERE project_id = :p"),
                        {"p": project_id}).rowcount == 0
    conn.rollback()


def test_only_the_organiser_writes_allocations(conn) -> None:  # type: ignore[no-untyped-def]
    project_id = _as(conn, OME)
    with pytest.raises(DBAPIError, match="row-level security"):
        conn.execute(text("INSERT INTO procurement_allocations (tenant_id, project_id, quote_id, total_yen, "
                          "standalone_yen, lines) SELECT :t, :p, awarded_quote_id, 0, 0, '{}' "
                          "FROM procurement_projects WHERE id = :p"), {"t": KOTO, "p": project_id})
    project_id = _as(conn, TMG, "judge@metro.tokyo.example.jp")  # of the organising tenant, not an organiser
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
    project_id = _as(conn, TMG, "curator@metro.tokyo.example.jp")
    total = conn.scalar(text("SELECT contract_total_yen FROM procurement_projects WHERE id = :p"), {"p": project_id})
    shares = conn.scalar(text("SELECT sum(total_yen) FROM procurement_allocations WHERE project_id = :p"),
                         {"p": project_id})
    assert total == shares
    conn.rollback()
