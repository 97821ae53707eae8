"""Each municipality's number of cases, kept by the database for the dashboard (issue 25 point 5).

Revision ID: 20261207f_case_counts
Revises: 20261207e_answered_index
Create Date: 2026-12-07

The dashboard's figure "Our cases" counted the municipality's cases on every view: an index-only scan of every
case (2,000 per municipality on the Tokyo bench data), 0.12 of the 0.31 ms of PostgreSQL CPU the union of the
dashboard's counts cost a member, and growing with the cases. No index makes an exact count of 2,000 rows cheaper:
``case_counts`` keeps it, one row per municipality, and the figure reads that row (casebook.models.CaseCount).

It stays exact under concurrent writes because it is written in the writing transaction, by triggers on
``cases``: statement-level for inserts and deletes (one upsert per municipality a statement touched, from its
transition table, so an import or the generators' COPY adds its thousands of rows in one write), row-level for a
case moved to another municipality (never done by the application: its composite foreign keys forbid it while the
case has versions), and a reset on TRUNCATE. A rollback takes the change back with the rows. Concurrent writers of
one municipality's cases queue on its row from their first insert to their commit (the application only inserts
cases, one at a time, or an import's batch); increments commute, so the order does not matter.

The functions are SECURITY DEFINER (owned by the migrations' owner, as casebook_bump_generation): the application
role only reads the table (row-level security forced, the standard tenant policy) and cannot write it. The owner
gets a policy of its own, so that the count follows writes made under any binding, or none (the generators' bulk
load, maintenance). The table is filled here from the cases, with the cases locked against writes meanwhile.

The figure's statement changed, so its count function (kernel/waiting.py ``count_function``) has a new name,
created here; the former one stays for the code still running during a deployment.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls, grant_app

revision = "20261207f_case_counts"
down_revision = "20261207e_answered_index"
branch_labels = None
depends_on = None

ARGUMENTS = "(text, bigint, timestamptz)"

# (name, definition), written out by kernel.waiting.count_function from the statements registered at
# this revision (the module and name of each above it).
FUNCTIONS = [
    # casebook.helpers._OUR_CASES
    ("yokoten_count_c1cd8a3b1f55c4e8",
     "CREATE FUNCTION yokoten_count_c1cd8a3b1f55c4e8 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT coalesce(max(case_counts.cases), 0) AS coalesce_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS "
     "anon_1 \n"
     "FROM case_counts \n"
     "WHERE case_counts.tenant_id = _viewer_tenant\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
]

# (function, body): each runs as the owner, in the writing transaction.
TRIGGER_FUNCTIONS = [
    ("case_counts_added", """
  -- Ordered by municipality: two statements adding cases of several municipalities lock their rows in one order.
  INSERT INTO case_counts AS c (tenant_id, cases)
  SELECT tenant_id, count(*) FROM added_cases GROUP BY tenant_id ORDER BY tenant_id
  ON CONFLICT (tenant_id) DO UPDATE SET cases = c.cases + EXCLUDED.cases;
  RETURN NULL;"""),
    ("case_counts_removed", """
  UPDATE case_counts c SET cases = c.cases - r.n
    FROM (SELECT tenant_id, count(*) AS n FROM removed_cases GROUP BY tenant_id) r
   WHERE c.tenant_id = r.tenant_id;
  RETURN NULL;"""),
    ("case_counts_moved", """
  UPDATE case_counts SET cases = cases - 1 WHERE tenant_id = OLD.tenant_id;
  INSERT INTO case_counts AS c (tenant_id, cases) VALUES (NEW.tenant_id, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET cases = c.cases + 1;
  RETURN NULL;"""),
    ("case_counts_emptied", """
  TRUNCATE case_counts;
  RETURN NULL;"""),
]

TRIGGERS = [
    ("cases_count_added", "AFTER INSERT ON cases REFERENCING NEW TABLE AS added_cases FOR EACH STATEMENT",
     "case_counts_added"),
    ("cases_count_removed", "AFTER DELETE ON cases REFERENCING OLD TABLE AS removed_cases FOR EACH STATEMENT",
     "case_counts_removed"),
    ("cases_count_moved", "AFTER UPDATE OF tenant_id ON cases FOR EACH ROW "
     "WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)", "case_counts_moved"),
    ("cases_count_emptied", "AFTER TRUNCATE ON cases FOR EACH STATEMENT", "case_counts_emptied"),
]


def upgrade():
    op.create_table(
        "case_counts",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code", ondelete="CASCADE"), primary_key=True),
        sa.Column("cases", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("cases >= 0", name="cases_not_negative"),
    )
    enable_tenant_rls("case_counts")
    op.execute("CREATE POLICY counted ON case_counts TO CURRENT_USER USING (true) WITH CHECK (true)")
    grant_app("case_counts", "SELECT")
    for function, body in TRIGGER_FUNCTIONS:
        op.execute(f"CREATE FUNCTION {function}() RETURNS trigger "
                   f"LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$\nBEGIN{body}\nEND\n$fn$")
        op.execute(f"REVOKE ALL ON FUNCTION {function}() FROM PUBLIC")
    # No case written between the count below and the triggers (readers go on).
    op.execute("LOCK TABLE cases IN SHARE MODE")
    for trigger, when, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {when} EXECUTE FUNCTION {function}()")
    # Row-level security is forced on cases (the owner too) and no tenant is bound here: lifted for the fill
    # only, inside this migration's transaction.
    op.execute("ALTER TABLE cases NO FORCE ROW LEVEL SECURITY")
    op.execute("INSERT INTO case_counts (tenant_id, cases) SELECT tenant_id, count(*) FROM cases GROUP BY tenant_id")
    op.execute("ALTER TABLE cases FORCE ROW LEVEL SECURITY")
    for _name, definition in FUNCTIONS:
        op.execute(definition)


def downgrade():
    for name, _definition in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}{ARGUMENTS}")
    for trigger, _when, _function in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON cases")
    for function, _body in TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("case_counts")
