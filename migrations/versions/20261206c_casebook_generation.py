"""The published casebook's generation: a number that changes whenever what the related cases of an entry
are computed from changes (issue 25 point 5).

Revision ID: 20261206c_casebook_generation
Revises: 20261206b_workload_batches
Create Date: 2026-12-06

The related cases of an entry (casebook/suggest.py) cost the case page most of its time (one GIN
search over the words of the entry), yet change only when the published casebook does. A worker keeps
them, tagged with this number, and asks for the number (one primary-key read) before using them.

- One row, ``casebook_generation.value``. A statement-level trigger on ``casebook_entries`` (rows
  added, removed, or any column the related cases read: title, themes, tools, the rank vector, status,
  publication date, fiscal year, source municipality) and on ``tenants`` (the names shown beside them)
  sets it to the next value of a sequence, in the writing transaction: a reader sees the new number
  exactly when it sees the new rows, and a number is never used twice, even when its transaction is
  rolled back (what a worker derived from uncommitted rows is then tagged with a number nobody will
  read again).
- Writers of those columns take the row's lock until they commit, so they queue behind each other;
  they are curators' publications and retirements and changes of municipality names, a few a day.
  Adoptions (``adoption_count``) do not touch the number.
- The function is SECURITY DEFINER (owned by the migrations' owner): the application role keeps
  SELECT only on the table and no right on the sequence.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import grant_app

revision = "20261206c_casebook_generation"
down_revision = "20261206b_workload_batches"
branch_labels = None
depends_on = None

ENTRY_COLUMNS = ("id", "title", "themes", "tools", "rank_vector", "status", "published_at", "fiscal_year",
                 "source_tenant_id")
TENANT_COLUMNS = ("code", "name_ja", "name_en")


def upgrade():
    op.execute("CREATE SEQUENCE casebook_generation_seq")
    op.create_table(
        "casebook_generation",
        sa.Column("id", sa.Boolean, primary_key=True, server_default=sa.true()),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id", name="ck_casebook_generation_one_row"),
    )
    op.execute("INSERT INTO casebook_generation (id, value) VALUES (true, nextval('casebook_generation_seq'))")
    op.execute("""
        CREATE FUNCTION casebook_bump_generation() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
        BEGIN
          UPDATE casebook_generation SET value = nextval('casebook_generation_seq');
          RETURN NULL;
        END
        $fn$
    """)
    op.execute("REVOKE ALL ON FUNCTION casebook_bump_generation() FROM PUBLIC")
    for table, columns in (("casebook_entries", ENTRY_COLUMNS), ("tenants", TENANT_COLUMNS)):
        op.execute(f"CREATE TRIGGER {table}_casebook_generation AFTER INSERT OR DELETE OR UPDATE OF "
                   f"{', '.join(columns)} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION casebook_bump_generation()")
        op.execute(f"CREATE TRIGGER {table}_casebook_generation_truncate AFTER TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION casebook_bump_generation()")
    grant_app("casebook_generation", "SELECT")


def downgrade():
    for table in ("casebook_entries", "tenants"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_casebook_generation ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_casebook_generation_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS casebook_bump_generation()")
    op.drop_table("casebook_generation")
    op.execute("DROP SEQUENCE IF EXISTS casebook_generation_seq")
