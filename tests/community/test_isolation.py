"""The talent network's tables, proven as the application role with raw SQL (never as the owner)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from tests.factories.community import KOTO, OME

pytestmark = pytest.mark.no_rollback

TALENT_TABLES = ("community_departments", "community_promoters", "community_promoter_contacts",
                 "community_skill_assessments", "community_training_plans", "community_training_courses",
                 "community_training_completions")


@pytest.fixture(scope="module")
def app_engine(cluster):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    yield engine
    engine.dispose()


def _bind(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})


def test_talent_tables_are_forced_rls_and_tenant_first(app, app_engine) -> None:  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        for table in TALENT_TABLES:
            enabled, forced = conn.execute(text(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = :t"), {"t": table}).one()
            assert enabled and forced, table
            first = conn.scalar(text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = i.indkey[0] WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary"), {"t": table})
            assert first == "tenant_id", table


def test_one_municipality_cannot_see_or_write_anothers_roster(app, app_engine) -> None:  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn:
        trans = conn.begin()
        try:
            _bind(conn, OME)
            dept = conn.scalar(text("INSERT INTO community_departments (tenant_id, name) VALUES (:t, '情報政策課') "
                                    "RETURNING id"), {"t": OME})
            conn.execute(text("INSERT INTO community_promoters (tenant_id, department_id, name, term_starts_on) "
                              "VALUES (:t, :d, '青梅 花子', '2026-04-01')"), {"t": OME, "d": dept})
            _bind(conn, KOTO)
            assert conn.scalar(text("SELECT count(*) FROM community_departments WHERE tenant_id = :t"),
                               {"t": OME}) == 0
            assert conn.scalar(text("SELECT count(*) FROM community_promoters")) == 0
            assert conn.execute(text("UPDATE community_promoters SET name = 'x'")).rowcount == 0
            assert conn.execute(text("DELETE FROM community_departments")).rowcount == 0
            with pytest.raises(DBAPIError, match="row-level security"):
                with conn.begin_nested():
                    conn.execute(text("INSERT INTO community_departments (tenant_id, name) VALUES (:t, '偽装')"),
                                 {"t": OME})
            # A 江東区 promoter cannot point at 青梅市's department: the composite key refuses it.
            with pytest.raises(DBAPIError):
                with conn.begin_nested():
                    conn.execute(text("INSERT INTO community_promoters (tenant_id, department_id, name, "
                                      "term_starts_on) VALUES (:t, :d, '江東 一郎', '2026-04-01')"),
                                 {"t": KOTO, "d": dept})
            _bind(conn, "")
            assert conn.scalar(text("SELECT count(*) FROM community_departments")) == 0
        finally:
            trans.rollback()
