"""The dashboard's slow counts read partial indexes of what they count (issue 25 point 5).

Revision ID: 20261207b_dashboard_counts
Revises: 20261207_count_functions
Create Date: 2026-12-07

On the Tokyo bench data (2,000 cases, 250 questions, 202 demand declarations per municipality) the
dashboard's union of counts cost a member 0.53 ms and an administrator 0.85 ms of PostgreSQL CPU per view,
most of it in three branches that read every row of the municipality's history to find the few waiting:

- the open questions to the municipality's cases (0.25 ms, 565 buffers): every question it was ever asked,
  each probed against the answers. ``casebook_questions.answered_at`` (when the first answer came, NULL while
  there is none) is kept by a trigger on ``casebook_answers`` and a partial index holds the unanswered
  questions by municipality; the count still requires that no answer exists (the definition), checked on the
  few open ones only;
- an administrator's declarations to approve and demand surveys not yet answered (0.08 + 0.16 ms, 162 + 168
  buffers): every declaration of the municipality read from the heap to check its status. Partial indexes on
  the counted states, the municipality first (the second one covers the ``NOT IN`` list: an index-only scan).

``answered_at`` is exact under concurrent writes: it is written in the transaction that adds (or, by the
owner's maintenance, removes or moves) an answer, the question's row lock orders concurrent answers, and the
first answer's time is kept as the minimum (a later answer never moves it; a removal computes it again from
the answers left). The application role may only insert answers and cannot write the column. The trigger
function is SECURITY DEFINER (owned by the migrations' owner, as casebook_bump_generation): the answerer's
municipality is the asked one, not the asker, whom the questions' policy lets write; the owner gets a policy
of its own for that, the application role none.

The count statement of open questions changed, so its count function (kernel/waiting.py ``count_function``)
has a new name, created here; the former one stays for the code still running during a deployment.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261207b_dashboard_counts"
down_revision = "20261207_count_functions"
branch_labels = None
depends_on = None

ARGUMENTS = "(text, bigint, timestamptz)"

# (name, definition), written out by kernel.waiting.count_function from the statements registered at
# this revision (the module and name of each above it).
FUNCTIONS = [
    # casebook.waiting._QUESTIONS
    ("yokoten_count_e36f78c1be1e176d",
     "CREATE FUNCTION yokoten_count_e36f78c1be1e176d (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_questions.created_at) AS min_1 \n"
     "FROM casebook_questions JOIN casebook_entries ON casebook_entries.id = casebook_questions.entry_id \n"
     "WHERE casebook_questions.source_tenant_id = _viewer_tenant AND casebook_questions.answered_at IS "
     "NULL AND casebook_entries.source_tenant_id = _viewer_tenant AND casebook_entries.status = "
     "'published' AND NOT (EXISTS (SELECT casebook_answers.id \n"
     "FROM casebook_answers \n"
     "WHERE casebook_answers.question_id = casebook_questions.id))\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
]

# (name, table, columns, predicate)
INDEXES = [
    ("ix_casebook_questions_open", "casebook_questions", ["source_tenant_id", "created_at"], "answered_at IS NULL"),
    ("ix_procurement_declarations_pending", "procurement_declarations", ["tenant_id", "updated_at"],
     "status = 'pending_approval'"),
    ("ix_procurement_declarations_answered", "procurement_declarations", ["tenant_id", "project_id"],
     "status IN ('committed', 'pending_approval')"),
]

ANSWERED_FUNCTION = """
CREATE FUNCTION casebook_question_answered() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- An answer added: the question is answered since the earliest of its answers.
    UPDATE casebook_questions SET answered_at = NEW.created_at
     WHERE id = NEW.question_id AND (answered_at IS NULL OR answered_at > NEW.created_at);
  ELSE
    -- An answer removed, moved or re-dated (never by the application): computed again from the answers left.
    UPDATE casebook_questions q
       SET answered_at = (SELECT min(a.created_at) FROM casebook_answers a WHERE a.question_id = q.id)
     WHERE q.id = OLD.question_id;
    IF TG_OP = 'UPDATE' THEN
      UPDATE casebook_questions q
         SET answered_at = (SELECT min(a.created_at) FROM casebook_answers a WHERE a.question_id = q.id)
       WHERE q.id = NEW.question_id;
    END IF;
  END IF;
  RETURN NULL;
END
$fn$
"""


def upgrade():
    op.add_column("casebook_questions", sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
    # Row-level security is forced on the tables (the owner too) and no tenant is bound here: lifted for
    # the fill only, inside this migration's transaction.
    op.execute("ALTER TABLE casebook_questions NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE casebook_answers NO FORCE ROW LEVEL SECURITY")
    op.execute("UPDATE casebook_questions q SET answered_at = a.first FROM (SELECT question_id, min(created_at) "
               "AS first FROM casebook_answers GROUP BY question_id) a WHERE a.question_id = q.id")
    op.execute("ALTER TABLE casebook_answers FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE casebook_questions FORCE ROW LEVEL SECURITY")
    # The trigger's function runs as the owner under the writer's tenant binding, which sees every question and
    # answer (their policies: any bound tenant) but may write only the questions its municipality asked: the owner
    # may also mark the others (the application role gets no such policy, and no UPDATE on the table).
    op.execute("CREATE POLICY answered_mark ON casebook_questions FOR UPDATE TO CURRENT_USER "
               "USING (true) WITH CHECK (true)")
    op.execute(ANSWERED_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION casebook_question_answered() FROM PUBLIC")
    op.execute("CREATE TRIGGER casebook_answers_answered AFTER INSERT OR DELETE OR UPDATE OF question_id, "
               "created_at ON casebook_answers FOR EACH ROW EXECUTE FUNCTION casebook_question_answered()")
    for _name, definition in FUNCTIONS:
        op.execute(definition)
    # Built concurrently: questions are asked and demand declared while the portal runs.
    with op.get_context().autocommit_block():
        for name, table, columns, predicate in INDEXES:
            op.create_index(name, table, columns, postgresql_where=sa.text(predicate), postgresql_concurrently=True)


def downgrade():
    for name, table, _columns, _predicate in INDEXES:
        op.drop_index(name, table_name=table)
    for name, _definition in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}{ARGUMENTS}")
    op.execute("DROP TRIGGER IF EXISTS casebook_answers_answered ON casebook_answers")
    op.execute("DROP FUNCTION IF EXISTS casebook_question_answered()")
    op.execute("DROP POLICY IF EXISTS answered_mark ON casebook_questions")
    op.drop_column("casebook_questions", "answered_at")
