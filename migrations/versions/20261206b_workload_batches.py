"""Workload benchmark: a published cell moves only in steps of at least k municipalities.

Every cell is a fixed group, but it used to be recomputed whenever one municipality closed, reopened
or changed its consent: whoever saved the cells before and after could difference two snapshots that
differ by that one contributor (issue 20 point 4). Now the numbers the function publishes are compared
with the last numbers it published for that cell, kept in ``workload_benchmark_members`` (the
contributors and their figures; owner only — the application role has no privilege on it):

- nothing changed → the same numbers;
- only additions, fewer than k → the cell keeps its earlier numbers until k have joined;
- a contributor left or changed its figure, fewer than k changes in all → the cell is suppressed
  (no number) until the change reaches k, so a withdrawal of consent never leaves the old figure
  on show and a correction is never visible on its own;
- k or more changes, or no numbers published before → the new numbers, which become the reference.

A suppressed cell never replaces the reference: publishing again later is compared with the last
numbers anyone could have seen.
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls, q

revision = "20261206b_workload_batches"
down_revision = "20261206b_sso_backchannel"
branch_labels = None
depends_on = None

PUBLISH_FUNCTION = """
CREATE OR REPLACE FUNCTION workload_publish_benchmark(p_fiscal_year integer, p_min_n integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  k integer := GREATEST(COALESCE(p_min_n, 5), 3);
  written integer;
BEGIN
  -- The cells as they stand (kept where too few contributors changed since the last numbers).
  DROP TABLE IF EXISTS pg_temp.wb_old_cells, pg_temp.wb_members, pg_temp.wb_judged, pg_temp.wb_changes;
  CREATE TEMP TABLE wb_old_cells ON COMMIT DROP AS
    SELECT * FROM workload_benchmark_cells WHERE fiscal_year = p_fiscal_year;
  DELETE FROM workload_benchmark_cells WHERE fiscal_year = p_fiscal_year;

  CREATE TEMP TABLE wb_members ON COMMIT DROP AS
  WITH contrib AS (
    SELECT r.tenant_id,
           CASE t.kind WHEN 'special_ward' THEN 'special_ward' WHEN 'city' THEN 'city'
                       ELSE 'town_village' END AS kind,
           e.group_code, sum(e.hours_per_year) AS hours, sum(e.cases_per_year) AS cases
      FROM workload_rounds r
      JOIN tenants t ON t.code = r.tenant_id
      JOIN workload_entries e ON e.tenant_id = r.tenant_id AND e.round_id = r.id
     WHERE r.fiscal_year = p_fiscal_year AND r.status = 'closed' AND r.share_benchmark
       AND r.tenant_id <> '130001'
     GROUP BY 1, 2, 3
    HAVING sum(e.cases_per_year) > 0 AND sum(e.hours_per_year) > 0
  )
  SELECT c.tenant_id, c.group_code, g.peer, c.hours, c.cases, c.hours / c.cases AS per_case,
         row_number() OVER (PARTITION BY g.peer, c.group_code ORDER BY c.hours DESC) AS rank_hours
    FROM contrib c CROSS JOIN LATERAL (VALUES (c.kind), ('all')) AS g(peer);

  CREATE TEMP TABLE wb_judged ON COMMIT DROP AS
  WITH cell AS (
    SELECT peer, group_code, count(*) AS n, sum(hours) AS total,
           sum(hours) FILTER (WHERE rank_hours <= 2) AS top2,
           percentile_cont(0.25) WITHIN GROUP (ORDER BY per_case) AS q1,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY per_case) AS median,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY per_case) AS q3
      FROM wb_members GROUP BY peer, group_code
  ), small_kind AS (
    SELECT group_code FROM cell WHERE peer <> 'all' AND n < k GROUP BY group_code
  )
  SELECT c.*, (c.n >= k AND c.top2 <= 0.85 * c.total
               AND NOT (c.peer = 'all' AND c.group_code IN (SELECT group_code FROM small_kind))) AS ok
    FROM cell c;

  -- Per cell, against the last published numbers: who joined, who left or changed its figure.
  CREATE TEMP TABLE wb_changes ON COMMIT DROP AS
  SELECT j.peer, j.group_code,
         EXISTS (SELECT 1 FROM workload_benchmark_members p WHERE p.fiscal_year = p_fiscal_year
                  AND p.peer_group = j.peer AND p.group_code = j.group_code) AS has_reference,
         (SELECT count(*) FROM wb_members m WHERE m.peer = j.peer AND m.group_code = j.group_code
             AND NOT EXISTS (SELECT 1 FROM workload_benchmark_members p WHERE p.fiscal_year = p_fiscal_year
                              AND p.peer_group = m.peer AND p.group_code = m.group_code
                              AND p.tenant_id = m.tenant_id)) AS joined,
         (SELECT count(*) FROM workload_benchmark_members p WHERE p.fiscal_year = p_fiscal_year
             AND p.peer_group = j.peer AND p.group_code = j.group_code
             AND NOT EXISTS (SELECT 1 FROM wb_members m WHERE m.peer = p.peer_group AND m.group_code = p.group_code
                              AND m.tenant_id = p.tenant_id AND m.hours = p.hours AND m.cases = p.cases))
           AS left_or_changed
    FROM wb_judged j;

  INSERT INTO workload_benchmark_cells (fiscal_year, peer_group, group_code, published, contributors,
                                        q1, median, q3, min_contributors, published_at)
  SELECT p_fiscal_year, j.peer, j.group_code, d.show_new OR d.keep_old,
         CASE WHEN d.show_new THEN j.n WHEN d.keep_old THEN o.contributors END,
         CASE WHEN d.show_new THEN round(j.q1::numeric, 2) WHEN d.keep_old THEN o.q1 END,
         CASE WHEN d.show_new THEN round(j.median::numeric, 2) WHEN d.keep_old THEN o.median END,
         CASE WHEN d.show_new THEN round(j.q3::numeric, 2) WHEN d.keep_old THEN o.q3 END,
         k, CASE WHEN d.keep_old THEN o.published_at ELSE now() END
    FROM wb_judged j
    JOIN wb_changes c ON c.peer = j.peer AND c.group_code = j.group_code
    LEFT JOIN wb_old_cells o ON o.peer_group = j.peer AND o.group_code = j.group_code
    CROSS JOIN LATERAL (SELECT
      j.ok AND (NOT c.has_reference OR c.joined + c.left_or_changed = 0
                OR c.joined + c.left_or_changed >= k) AS show_new,
      j.ok AND c.has_reference AND c.left_or_changed = 0 AND c.joined BETWEEN 1 AND k - 1
        AND COALESCE(o.published, false) AS keep_old) AS d;
  GET DIAGNOSTICS written = ROW_COUNT;

  -- The numbers just published become the reference of their cell.
  DELETE FROM workload_benchmark_members p USING workload_benchmark_cells n, wb_changes c
   WHERE p.fiscal_year = p_fiscal_year AND n.fiscal_year = p_fiscal_year
     AND n.peer_group = p.peer_group AND n.group_code = p.group_code AND n.published
     AND c.peer = n.peer_group AND c.group_code = n.group_code
     AND (NOT c.has_reference OR c.joined + c.left_or_changed = 0 OR c.joined + c.left_or_changed >= k);
  INSERT INTO workload_benchmark_members (fiscal_year, peer_group, group_code, tenant_id, hours, cases)
  SELECT p_fiscal_year, m.peer, m.group_code, m.tenant_id, m.hours, m.cases
    FROM wb_members m
    JOIN workload_benchmark_cells n ON n.fiscal_year = p_fiscal_year AND n.peer_group = m.peer
                                    AND n.group_code = m.group_code AND n.published
    JOIN wb_changes c ON c.peer = m.peer AND c.group_code = m.group_code
   WHERE NOT c.has_reference OR c.joined + c.left_or_changed = 0 OR c.joined + c.left_or_changed >= k
  ON CONFLICT DO NOTHING;
  RETURN written;
END
$fn$
"""


def _previous_function() -> str:
    """The publishing function of the workload migration, for the downgrade."""
    path = Path(__file__).with_name("20261206_workload.py")
    spec = importlib.util.spec_from_file_location("workload_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.PUBLISH_FUNCTION).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade():
    # The contributors behind each cell's last published numbers. Owned by the owner role, no grant
    # to the application role: only the SECURITY DEFINER function reads and writes it.
    op.create_table(
        "workload_benchmark_members",
        # tenant_id first in the key, as in every table with a tenant_id (tests/ops/test_distribution.py:
        # a Citus cluster distributes it by tenant_id like the rounds it summarises).
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("fiscal_year", sa.Integer, primary_key=True),
        sa.Column("peer_group", sa.String(20), primary_key=True),
        sa.Column("group_code", sa.String(20), primary_key=True),
        sa.Column("hours", sa.Numeric(14, 1), nullable=False),
        sa.Column("cases", sa.BigInteger, nullable=False),
    )
    op.execute(f"REVOKE ALL ON workload_benchmark_members FROM PUBLIC, {q(_app_role())}")
    # Like every table with a tenant_id: RLS enabled and forced with the tenant policy (the application
    # role could see only its own rows even if it were ever granted the table); the owner role, whose
    # SECURITY DEFINER function keeps the reference, gets a policy of its own.
    enable_tenant_rls("workload_benchmark_members")
    op.execute("CREATE POLICY benchmark_publish ON workload_benchmark_members FOR ALL TO CURRENT_USER "
               "USING (true) WITH CHECK (true)")
    op.execute(PUBLISH_FUNCTION)


def downgrade():
    op.execute(_previous_function())
    op.drop_table("workload_benchmark_members")


def _app_role() -> str:
    from tenants.rls import app_role

    return app_role()
