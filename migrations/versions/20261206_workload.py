"""業務量調査 (workload surveys): the standard task list, rounds, entries, the published benchmark.

Revision ID: 20261206_workload
Revises: 0007_case_counts_index
Create Date: 2026-12-06

Cross-tenant, maintained by TMG through the services: task groups and standard tasks (seeded here
with a realistic list). Tenant-owned (tenant_id first in the primary key, composite foreign keys,
RLS enabled and forced): a municipality's own tasks, its re-classifications, rounds, departments and
entries.

The benchmark's only cross-tenant path is ``workload_publish_benchmark(fiscal_year, min_n)``, a
SECURITY DEFINER function owned by the owner role. It reads the rounds a municipality opted in
(``benchmark_read`` policies apply to the owner role only; the application role still sees nothing
beyond its tenant) and writes nothing but suppressed quartiles into ``workload_benchmark_cells``, a
table the application may only read. ``workload_tmg_shared_figures(fiscal_year)`` gives TMG the
per-municipality group figures of the rounds shared with TMG, and nothing to any other tenant.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import app_role, enable_tenant_rls, grant_app, q

revision = "20261206_workload"
down_revision = "0007_case_counts_index"
branch_labels = None
depends_on = None

TENANT_TABLES = ("workload_own_tasks", "workload_task_classes", "workload_rounds", "workload_departments",
                 "workload_entries")

GROUPS = (
    ("madoguchi", "窓口", "Front desk", 10),
    ("zeimu", "税務", "Taxation", 20),
    ("kokuho", "国保・年金", "Health insurance and pension", 30),
    ("fukushi", "福祉", "Welfare", 40),
    ("kosodate", "子育て", "Child-rearing", 50),
    ("somu", "総務", "General affairs", 60),
    ("zaimu", "財務・会計", "Finance and accounting", 70),
)
N, C = "non_core", "core"
TASKS = (
    ("MAD01", "madoguchi", "住民異動届の受付・入力", "Receiving and entering moving-in/out notifications", N),
    ("MAD02", "madoguchi", "住民異動の審査・決定", "Examining and deciding residence changes", C),
    ("MAD03", "madoguchi", "住民票の写し・印鑑登録証明書の交付", "Issuing residence and seal certificates", N),
    ("MAD04", "madoguchi", "戸籍届出の受付・審査", "Receiving and examining family register filings", C),
    ("MAD05", "madoguchi", "マイナンバーカードの交付・更新手続", "Issuing and renewing My Number cards", N),
    ("MAD06", "madoguchi", "窓口・電話での案内", "Guidance at the counter and by telephone", N),
    ("ZEI01", "zeimu", "給与支払報告書等の課税資料の受付・入力", "Entering tax documents (salary reports)", N),
    ("ZEI02", "zeimu", "個人住民税の賦課決定", "Assessing individual resident tax", C),
    ("ZEI03", "zeimu", "固定資産の現地調査・評価", "Surveying and valuing fixed assets on site", C),
    ("ZEI04", "zeimu", "納税通知書の印刷・封入・発送", "Printing, enclosing and mailing tax notices", N),
    ("ZEI05", "zeimu", "滞納整理（差押え・換価）", "Collecting arrears (seizure and sale)", C),
    ("ZEI06", "zeimu", "口座振替の申込受付・登録", "Registering direct-debit applications", N),
    ("KOK01", "kokuho", "国保の資格取得・喪失届の受付・入力", "Entering health insurance enrolment and withdrawal", N),
    ("KOK02", "kokuho", "保険料の賦課・減免の決定", "Assessing premiums and deciding reductions", C),
    ("KOK03", "kokuho", "高額療養費の支給申請の受付・審査", "Receiving and checking high-cost medical claims", N),
    ("KOK04", "kokuho", "国民年金の届出受付・年金機構への進達", "Forwarding national pension notifications", N),
    ("FUK01", "fukushi", "生活保護の相談・ケースワーク", "Public assistance consultation and casework", C),
    ("FUK02", "fukushi", "障害福祉サービスの支給決定", "Deciding disability welfare services", C),
    ("FUK03", "fukushi", "要介護認定の申請受付・調査日程の調整", "Long-term care applications and survey scheduling", N),
    ("FUK04", "fukushi", "福祉手当の申請受付・入力", "Receiving and entering welfare allowance applications", N),
    ("FUK05", "fukushi", "給付金の支払事務", "Paying out benefits", N),
    ("KOS01", "kosodate", "保育所等の入所申込の受付・入力", "Receiving and entering nursery applications", N),
    ("KOS02", "kosodate", "保育所の利用調整（選考）", "Allocating nursery places", C),
    ("KOS03", "kosodate", "児童手当の認定請求の受付・審査", "Receiving and checking child allowance claims", N),
    ("KOS04", "kosodate", "子ども医療費助成の受付・医療証の発行", "Child medical subsidy applications and cards", N),
    ("KOS05", "kosodate", "児童虐待の相談対応", "Responding to child abuse consultations", C),
    ("KOS06", "kosodate", "乳幼児健診の案内・予約受付", "Infant health check notices and bookings", N),
    ("SOM01", "somu", "文書の収受・発送・ファイリング", "Receiving, sending and filing documents", N),
    ("SOM02", "somu", "出退勤・時間外勤務・旅費の集計", "Tallying attendance, overtime and travel expenses", N),
    ("SOM03", "somu", "議会答弁の作成", "Drafting answers for the assembly", C),
    ("SOM04", "somu", "例規の審査", "Examining ordinances and regulations", C),
    ("SOM05", "somu", "会議録の作成", "Writing meeting minutes", N),
    ("SOM06", "somu", "統計調査の実施事務", "Running statistical surveys", N),
    ("ZAI01", "zaimu", "予算の編成", "Compiling the budget", C),
    ("ZAI02", "zaimu", "支出負担行為・支出命令の入力", "Entering expenditure commitments and orders", N),
    ("ZAI03", "zaimu", "支出の審査・決定", "Examining and approving expenditure", C),
    ("ZAI04", "zaimu", "入札・契約の執行", "Running tenders and contracts", C),
    ("ZAI05", "zaimu", "公金収納の消込", "Reconciling public money receipts", N),
)

SHARED_ROUND = "status = 'closed' AND (share_benchmark OR share_with_tmg)"

# Only rounds a municipality opted in, only closed ones. Hours per case of a task group per
# municipality; the quartiles per fixed peer group; a cell is published with at least
# GREATEST(min_n, 3) contributors, when the two largest contributors hold at most 85 % of the
# group's hours ((2,85) dominance), and - for the all-Tokyo group - when every kind that takes part
# has at least as many contributors itself (so no subtraction of a kind's cell from the all-Tokyo
# cell isolates fewer municipalities than a cell may hold).
PUBLISH_FUNCTION = """
CREATE FUNCTION workload_publish_benchmark(p_fiscal_year integer, p_min_n integer)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  k integer := GREATEST(COALESCE(p_min_n, 5), 3);
  written integer;
BEGIN
  DELETE FROM workload_benchmark_cells WHERE fiscal_year = p_fiscal_year;
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
  ), member AS (
    SELECT c.*, g.peer FROM contrib c
      CROSS JOIN LATERAL (VALUES (c.kind), ('all')) AS g(peer)
  ), ranked AS (
    SELECT m.*, hours / cases AS per_case,
           row_number() OVER (PARTITION BY peer, group_code ORDER BY hours DESC) AS rank_hours
      FROM member m
  ), cell AS (
    SELECT peer, group_code, count(*) AS n, sum(hours) AS total,
           sum(hours) FILTER (WHERE rank_hours <= 2) AS top2,
           percentile_cont(0.25) WITHIN GROUP (ORDER BY per_case) AS q1,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY per_case) AS median,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY per_case) AS q3
      FROM ranked GROUP BY peer, group_code
  ), small_kind AS (
    SELECT group_code FROM cell WHERE peer <> 'all' AND n < k GROUP BY group_code
  ), judged AS (
    SELECT c.*, (c.n >= k AND c.top2 <= 0.85 * c.total
                 AND NOT (c.peer = 'all' AND c.group_code IN (SELECT group_code FROM small_kind))) AS ok
      FROM cell c
  )
  INSERT INTO workload_benchmark_cells (fiscal_year, peer_group, group_code, published, contributors,
                                        q1, median, q3, min_contributors)
  SELECT p_fiscal_year, peer, group_code, ok,
         CASE WHEN ok THEN n END, CASE WHEN ok THEN round(q1::numeric, 2) END,
         CASE WHEN ok THEN round(median::numeric, 2) END, CASE WHEN ok THEN round(q3::numeric, 2) END, k
    FROM judged;
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written;
END
$fn$
"""

TMG_FUNCTION = """
CREATE FUNCTION workload_tmg_shared_figures(p_fiscal_year integer)
RETURNS TABLE (tenant_id varchar, group_code varchar, hours numeric, cases bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
  SELECT r.tenant_id, e.group_code, sum(e.hours_per_year), sum(e.cases_per_year)::bigint
    FROM workload_rounds r
    JOIN workload_entries e ON e.tenant_id = r.tenant_id AND e.round_id = r.id
   WHERE r.fiscal_year = p_fiscal_year AND r.status = 'closed' AND r.share_with_tmg
     AND current_setting('app.tenant_id', true) = '130001'
   GROUP BY 1, 2 ORDER BY 1, 2
$fn$
"""


def _ts(name, nullable=False, default=True):  # type: ignore[no-untyped-def]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.now() if default else None)


def upgrade():
    op.create_table(
        "workload_task_groups",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("name_ja", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "workload_standard_tasks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("group_code", sa.String(20), sa.ForeignKey("workload_task_groups.code"), nullable=False),
        sa.Column("name_ja", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False, server_default=""),
        sa.Column("default_class", sa.String(10), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _ts("created_at"),
        sa.CheckConstraint("default_class IN ('core','non_core')", name="known_class"),
    )
    op.create_table(
        "workload_own_tasks",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("group_code", sa.String(20), sa.ForeignKey("workload_task_groups.code"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("task_class", sa.String(10), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        _ts("created_at"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_workload_own_tasks_tenant_name"),
        sa.CheckConstraint("task_class IN ('core','non_core')", name="known_class"),
    )
    op.create_table(
        "workload_task_classes",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("standard_task_id", sa.BigInteger, sa.ForeignKey("workload_standard_tasks.id"), primary_key=True),
        sa.Column("task_class", sa.String(10), nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint("task_class IN ('core','non_core')", name="known_class"),
    )
    op.create_table(
        "workload_rounds",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("share_benchmark", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("share_with_tmg", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("opened_by_user_id", sa.BigInteger),
        _ts("opened_at"),
        _ts("closed_at", nullable=True, default=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("tenant_id", "fiscal_year", name="uq_workload_rounds_tenant_fiscal_year"),
        sa.CheckConstraint("status IN ('open','closed')", name="known_status"),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year_range"),
    )
    op.create_table(
        "workload_departments",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("round_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("contact_user_id", sa.BigInteger),
        _ts("submitted_at", nullable=True, default=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["tenant_id", "round_id"], ["workload_rounds.tenant_id", "workload_rounds.id"],
                                ondelete="CASCADE", name="fk_workload_departments_round"),
        sa.ForeignKeyConstraint(["tenant_id", "contact_user_id"], ["users.tenant_id", "users.id"],
                                name="fk_workload_departments_contact"),
        sa.UniqueConstraint("tenant_id", "round_id", "name", name="uq_workload_departments_round_name"),
    )
    op.create_table(
        "workload_entries",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("round_id", sa.BigInteger, nullable=False),
        sa.Column("department_id", sa.BigInteger, nullable=False),
        sa.Column("standard_task_id", sa.BigInteger, sa.ForeignKey("workload_standard_tasks.id")),
        sa.Column("own_task_id", sa.BigInteger),
        sa.Column("group_code", sa.String(20), sa.ForeignKey("workload_task_groups.code"), nullable=False),
        sa.Column("hours_per_year", sa.Numeric(12, 1), nullable=False),
        sa.Column("entered_per", sa.String(5), nullable=False, server_default="year"),
        sa.Column("cases_per_year", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("paper_share", sa.Integer, nullable=False, server_default="0"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["tenant_id", "round_id"], ["workload_rounds.tenant_id", "workload_rounds.id"],
                                ondelete="CASCADE", name="fk_workload_entries_round"),
        sa.ForeignKeyConstraint(["tenant_id", "department_id"],
                                ["workload_departments.tenant_id", "workload_departments.id"],
                                ondelete="CASCADE", name="fk_workload_entries_department"),
        sa.ForeignKeyConstraint(["tenant_id", "own_task_id"], ["workload_own_tasks.tenant_id", "workload_own_tasks.id"],
                                name="fk_workload_entries_own_task"),
        sa.CheckConstraint("(standard_task_id IS NULL) <> (own_task_id IS NULL)", name="one_task"),
        sa.CheckConstraint("hours_per_year >= 0 AND hours_per_year <= 1000000", name="hours_range"),
        sa.CheckConstraint("cases_per_year >= 0 AND cases_per_year <= 100000000", name="cases_range"),
        sa.CheckConstraint("paper_share BETWEEN 0 AND 100", name="paper_share_range"),
        sa.CheckConstraint("entered_per IN ('year','month')", name="known_period"),
    )
    op.create_index("uq_workload_entries_standard", "workload_entries",
                    ["tenant_id", "department_id", "standard_task_id"], unique=True,
                    postgresql_where=sa.text("standard_task_id IS NOT NULL"))
    op.create_index("uq_workload_entries_own", "workload_entries",
                    ["tenant_id", "department_id", "own_task_id"], unique=True,
                    postgresql_where=sa.text("own_task_id IS NOT NULL"))
    op.create_index("ix_workload_entries_round", "workload_entries", ["tenant_id", "round_id"])
    op.create_table(
        "workload_benchmark_cells",
        sa.Column("fiscal_year", sa.Integer, primary_key=True),
        sa.Column("peer_group", sa.String(20), primary_key=True),
        sa.Column("group_code", sa.String(20), sa.ForeignKey("workload_task_groups.code"), primary_key=True),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("contributors", sa.Integer),
        sa.Column("q1", sa.Numeric(14, 2)),
        sa.Column("median", sa.Numeric(14, 2)),
        sa.Column("q3", sa.Numeric(14, 2)),
        sa.Column("min_contributors", sa.Integer, nullable=False),
        _ts("published_at"),
        sa.CheckConstraint("peer_group IN ('special_ward','city','town_village','all')", name="known_peer_group"),
        sa.CheckConstraint("published OR (contributors IS NULL AND median IS NULL AND q1 IS NULL AND q3 IS NULL)",
                           name="suppressed_is_empty"),
        sa.CheckConstraint("min_contributors >= 3", name="never_below_three"),
    )

    op.bulk_insert(sa.table("workload_task_groups", sa.column("code"), sa.column("name_ja"), sa.column("name_en"),
                            sa.column("position")),
                   [dict(code=c, name_ja=ja, name_en=en, position=p) for c, ja, en, p in GROUPS])
    op.bulk_insert(sa.table("workload_standard_tasks", sa.column("code"), sa.column("group_code"),
                            sa.column("name_ja"), sa.column("name_en"), sa.column("default_class")),
                   [dict(code=c, group_code=g, name_ja=ja, name_en=en, default_class=k) for c, g, ja, en, k in TASKS])

    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    # The owner role (and so the SECURITY DEFINER functions it owns) reads the rounds a municipality
    # opted in, across tenants; the application role gets no such policy.
    op.execute(f"CREATE POLICY benchmark_read ON workload_rounds FOR SELECT TO CURRENT_USER USING ({SHARED_ROUND})")
    op.execute("CREATE POLICY benchmark_read ON workload_entries FOR SELECT TO CURRENT_USER USING (EXISTS ("
               "SELECT 1 FROM workload_rounds r WHERE r.tenant_id = workload_entries.tenant_id "
               "AND r.id = workload_entries.round_id AND r.status = 'closed' "
               "AND (r.share_benchmark OR r.share_with_tmg)))")
    op.execute(PUBLISH_FUNCTION)
    op.execute(TMG_FUNCTION)
    role = q(app_role())
    for function in ("workload_publish_benchmark(integer, integer)", "workload_tmg_shared_figures(integer)"):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role}")

    for table in ("workload_task_groups", "workload_benchmark_cells"):
        grant_app(table, "SELECT")
    grant_app("workload_standard_tasks", "SELECT, INSERT, UPDATE")
    for table in TENANT_TABLES:
        grant_app(table)


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS workload_tmg_shared_figures(integer)")
    op.execute("DROP FUNCTION IF EXISTS workload_publish_benchmark(integer, integer)")
    for table in ("workload_benchmark_cells", "workload_entries", "workload_departments", "workload_rounds",
                  "workload_task_classes", "workload_own_tasks", "workload_standard_tasks", "workload_task_groups"):
        op.drop_table(table)
