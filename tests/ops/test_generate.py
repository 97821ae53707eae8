"""`flask demo generate`: tenants beyond Tokyo, users, every present domain's data, by COPY."""
from __future__ import annotations

import psycopg2
import pytest

from devtools.generate import check_digit, generate_all, synthetic_tenants

pytestmark = pytest.mark.no_rollback


def test_check_digit_matches_real_codes() -> None:
    # 千代田区 131016, 青梅市 132055, 江東区 131083, 札幌市 011002, 大阪市 271004
    for code in ("131016", "132055", "131083", "011002", "271004"):
        assert check_digit(code[:5]) == code[5]


def test_synthetic_tenants_are_valid_and_unique() -> None:
    rows = synthetic_tenants(1741 - 62, {"131016"})
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 1679
    assert all(len(c) == 6 and c.isdigit() and not c.startswith("13") and check_digit(c[:5]) == c[5] for c in codes)


def test_small_run_on_two_tenants_and_one_beyond_tokyo(scratch, reader_url) -> None:  # type: ignore[no-untyped-def]
    urls = scratch("gen")
    index_sql = ("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
    force_sql = "SELECT relname FROM pg_class WHERE relforcerowsecurity ORDER BY 1"
    fk_sql = ("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
              "WHERE contype = 'f' ORDER BY 1, 2")
    storage_sql = ("SELECT attrelid::regclass::text, attname, attstorage FROM pg_attribute "
                   "WHERE atttypid = 'tsvector'::regtype AND attnum > 0 ORDER BY 1, 2")
    with psycopg2.connect(reader_url(urls["db"])) as conn, conn.cursor() as cur:
        cur.execute(index_sql)
        indexes = cur.fetchall()
        cur.execute(force_sql)
        forced = cur.fetchall()
        cur.execute(fk_sql)
        foreign_keys = cur.fetchall()
        cur.execute(storage_sql)
        storage = cur.fetchall()
    report = generate_all(urls["owner_libpq"], tenants=2, per_tenant=3, seed=1)
    assert report.counts["users (created)"] == 2 * 4 + 4  # bench accounts of 2 municipalities and TMG
    # run again with one tenant more than Tokyo has: a generated municipality appears, users are idempotent
    again = generate_all(urls["owner_libpq"], tenants=63, per_tenant=0, seed=2)
    assert again.counts["users (created)"] == 61 * 4
    with psycopg2.connect(reader_url(urls["db"])) as conn, conn.cursor() as cur:
        # the bulk-load window put every secondary index and every FORCE flag back
        cur.execute(index_sql)
        assert cur.fetchall() == indexes
        cur.execute(force_sql)
        assert cur.fetchall() == forced and forced
        cur.execute(fk_sql)  # every foreign key dropped for the load is back, validated
        assert cur.fetchall() == foreign_keys and len(foreign_keys) > 10
        cur.execute(storage_sql)  # the vectors' storage, stored uncompressed for the load, is back too
        assert cur.fetchall() == storage and ("casebook_search_rows_0", "rank_vector", "m") in storage
        # every published text's words are stored, as a fresh analysis gives them (text_words.fill_missing's)
        from casebook import text_words

        cur.execute("SELECT DISTINCT t.kind, t.text FROM casebook_entries e CROSS JOIN LATERAL (VALUES ('T', e.title), "
                    "('S', e.summary), ('S', e.problem), ('S', e.approach), ('S', e.outcomes)) AS t(kind, text) "
                    "WHERE e.status = 'published' AND t.text <> ''")
        texts = cur.fetchall()
        cur.execute("SELECT digest::text, words FROM casebook_text_words")
        stored = dict(cur.fetchall())
        assert len(texts) > 6 * 5 and report.counts["casebook_text_words"] > 6 * 3
        assert {text_words.digest(kind, value): stored.get(text_words.digest(kind, value)) for kind, value in texts} \
            == {text_words.digest(kind, value): text_words.analysed(kind, value) for kind, value in texts}
        assert text_words.fill_missing(cur) == 0
        cur.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'cases'")  # analysed before commit
        assert cur.fetchone()[0] > 0
        # dates spread over each case's fiscal year, never in the future; copies and versions follow
        cur.execute("""SELECT count(DISTINCT c.updated_at), bool_and(c.created_at <= c.updated_at),
                              bool_and(c.updated_at <= now()),
                              bool_and((c.created_at AT TIME ZONE 'Asia/Tokyo')::date
                                       >= make_date(c.fiscal_year, 4, 1)),
                              bool_and(e.published_at = c.updated_at), bool_and(v.created_at = c.updated_at)
                       FROM cases c
                       JOIN casebook_entries e ON e.source_tenant_id = c.tenant_id AND e.source_case_id = c.id
                       JOIN case_versions v ON v.tenant_id = c.tenant_id AND v.case_id = c.id
                       WHERE v.note = 'generated'""")
        distinct, ordered, past, in_year, published, versioned = cur.fetchone()
        assert distinct > 1 and ordered and past and in_year and published and versioned
        # workload: three closed rounds per municipality, each year's benchmark published from them
        from kernel.i18n import fiscal_year_of, today_tokyo

        year = fiscal_year_of(today_tokyo())
        cur.execute("SELECT count(DISTINCT tenant_id), min(n), max(n) FROM (SELECT tenant_id, count(*) AS n "
                    "FROM workload_rounds WHERE fiscal_year BETWEEN %s AND %s GROUP BY tenant_id) AS r",
                    (year - 3, year - 1))
        assert cur.fetchone() == (63, 3, 3)
        cur.execute("SELECT count(*) FROM workload_benchmark_cells WHERE published AND peer_group = 'all' "
                    "AND fiscal_year BETWEEN %s AND %s", (year - 3, year - 1))
        assert cur.fetchone()[0] == 3 * 7
        cur.execute("SELECT count(*) FROM tenants WHERE region = 'simulated'")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM memberships m JOIN users u USING (tenant_id) "
                    "WHERE u.id = m.user_id AND u.email LIKE 'bench-%'")
        assert cur.fetchone()[0] == 4 + 63 * 7  # TMG: 4 one-role accounts; a municipality: 1+1+2+3 roles
    # every domain that has a generator made rows in every table it reports
    for table, count in report.counts.items():
        assert count > 0 or table == "users (created)", f"{table}: no rows generated"
