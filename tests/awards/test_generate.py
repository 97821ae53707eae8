"""The benchmark generator writes consistent awards data with COPY (small run: 3 per tenant, 2 tenants)."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from devtools.demo import CHIYODA, KOTO
from kernel.config import normalise_url

pytestmark = pytest.mark.no_rollback


def test_generate_three_entries_on_two_tenants(app, cluster) -> None:  # type: ignore[no-untyped-def]
    from devtools.generate.awards import generate

    engine = create_engine(normalise_url(cluster.urls("unit")["DATABASE_OWNER_URL"]), poolclass=NullPool)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        counts = generate(cur, [KOTO, CHIYODA], 3, random.Random(7))
        assert counts["award_entries"] == 6 and counts["award_programmes"] == 1
        cur.execute("SELECT count(*) FROM award_submissions s JOIN award_programmes p ON p.id = s.programme_id "
                    "WHERE p.title LIKE '%%生成データ%%'")
        assert cur.fetchone()[0] == counts["award_submissions"]
        # 千代田区's CIO is a judge: never scores an entry of 千代田区
        cur.execute("SELECT count(*) FROM award_score_sheets sh JOIN award_judges j ON j.id = sh.judge_id "
                    "JOIN award_submissions s ON s.id = sh.submission_id WHERE s.entrant_code = j.judge_tenant")
        assert cur.fetchone()[0] == 0
        assert counts["award_scores"] == 3 * counts["award_score_sheets"]
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (KOTO,))
        cur.execute("SELECT count(*) FROM award_entries WHERE title LIKE '%%による業務改善%%'")
        assert cur.fetchone()[0] == 3
    finally:
        raw.rollback()
        raw.close()
        engine.dispose()
