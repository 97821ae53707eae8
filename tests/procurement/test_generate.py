"""The benchmark data generator writes consistent procurement data with COPY (per_tenant=3, two tenants)."""
from __future__ import annotations

import random

import psycopg2
import pytest

pytestmark = pytest.mark.no_rollback


def test_generate_small(cluster, app) -> None:  # type: ignore[no-untyped-def]
    from devtools.generate.procurement import generate

    url = cluster.urls("unit")["DATABASE_OWNER_URL"].replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            counts = generate(cur, ["132055", "131083"], 3, random.Random(7))
            assert counts["procurement_projects"] == 2
            assert counts["procurement_declarations"] == 4  # each tenant on both projects
            assert counts["procurement_declaration_lines"] >= 4
            cur.execute("SELECT set_config('app.tenant_id', '130001', true)")
            cur.execute("SELECT set_config('app.user_id', id::text, true) FROM users "  # the organiser reads all
                        "WHERE email = 'curator@metro.tokyo.example.jp'")
            cur.execute(
                "SELECT t.declared_quantity, coalesce(sum(l.quantity), 0) FROM procurement_demand_totals t "
                "LEFT JOIN procurement_declaration_lines l ON l.project_id = t.project_id AND l.item_id = t.item_id "
                "WHERE t.project_id IN (SELECT id FROM procurement_projects WHERE title LIKE '%%#%%') "
                "GROUP BY t.project_id, t.item_id, t.declared_quantity")
            rows = cur.fetchall()
            assert rows and all(total == summed for total, summed in rows)
    finally:
        conn.rollback()
        conn.close()
