"""Each question to a published case knows the municipality it is asked of (issue 25 point 5).

Revision ID: 20261206c_question_source
Revises: 20261206c_search_rows
Create Date: 2026-12-06

"Waiting for you" counts the questions to a municipality's published cases that it has not answered,
on every dashboard view. Questions carried only the entry's id, so the count joined every question of
the casebook with every answer and then kept the municipality's (a hash anti-join over all of them:
4.8 ms of PostgreSQL time per dashboard on the Tokyo bench data, growing with the whole casebook).

``casebook_questions.source_tenant_id`` is the asked municipality (the entry's source), set by a
BEFORE INSERT trigger from the entry (so every writer, the ask service, imports and the generators
alike, fills it without knowing of it) and indexed: the count reads that municipality's questions
only. It is filled for the existing rows here. The trigger runs as the inserting role, which may
read casebook_entries; the question's own policy (the asker writes) is unchanged. An entry's source
municipality never changes (a published copy of one municipality's case).
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206c_question_source"
down_revision = "20261206c_search_rows"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("casebook_questions", sa.Column("source_tenant_id", sa.String(6), nullable=True))
    # Row-level security is forced on the table (the owner too) and no tenant is bound here: lifted for
    # the fill only, inside this migration's transaction.
    op.execute("ALTER TABLE casebook_questions NO FORCE ROW LEVEL SECURITY")
    op.execute("UPDATE casebook_questions q SET source_tenant_id = e.source_tenant_id "
               "FROM casebook_entries e WHERE e.id = q.entry_id")
    op.execute("ALTER TABLE casebook_questions FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE FUNCTION casebook_question_source() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          NEW.source_tenant_id := (SELECT e.source_tenant_id FROM casebook_entries e WHERE e.id = NEW.entry_id);
          RETURN NEW;
        END
        $fn$
    """)
    op.execute("CREATE TRIGGER casebook_questions_source BEFORE INSERT OR UPDATE OF entry_id, source_tenant_id "
               "ON casebook_questions FOR EACH ROW EXECUTE FUNCTION casebook_question_source()")
    # Built concurrently: questions are asked while the portal runs (the new code is deployed after it).
    with op.get_context().autocommit_block():
        op.create_index("ix_casebook_questions_source", "casebook_questions", ["source_tenant_id", "created_at"],
                        postgresql_concurrently=True)


def downgrade():
    op.drop_index("ix_casebook_questions_source", table_name="casebook_questions")
    op.execute("DROP TRIGGER IF EXISTS casebook_questions_source ON casebook_questions")
    op.execute("DROP FUNCTION IF EXISTS casebook_question_source()")
    op.drop_column("casebook_questions", "source_tenant_id")
