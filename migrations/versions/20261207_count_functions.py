"""Count functions: the dashboard's counts with their plans kept by PostgreSQL (issue 25 point 5).

Revision ID: 20261207_count_functions
Revises: 20261206c_question_source
Create Date: 2026-12-07

The home dashboard asks every "waiting for you" count and figure in one UNION ALL, and PostgreSQL planned
that statement again on every view: more than half of its server time (0.6 of 1.2 ms on an idle machine,
1.5-1.8 ms under load). A PL/pgSQL function keeps the plan of its query for the life of the server
connection (which PREPARE cannot do behind PgBouncer's transaction pooling), so each count here is one
function running exactly the count statement its domain registers (kernel/waiting.py ``count_function``:
the statement's text with its constants written out, the viewer's values as arguments), named by a hash of
that definition. The dashboard calls the function of a statement when the database has it and sends the
statement itself otherwise: a count whose code changes gets another name and runs uncached (still exact)
until a later migration adds its function; tests/notifications/test_waiting_together.py lists those.

The functions run as the caller (SECURITY INVOKER, the default) inside the caller's transaction: the same
role, tenant binding (``set_config(..., true)``) and row-level security as the statement alone. STABLE:
they only read. They grant nothing (PUBLIC keeps its default EXECUTE, which lets the benchmark's reader role
time the dashboard without RLS too).
"""
from alembic import op

revision = "20261207_count_functions"
down_revision = "20261206c_question_source"
branch_labels = None
depends_on = None

ARGUMENTS = "(text, bigint, timestamptz)"

# (name, definition), written out by kernel.waiting.count_function from the statements registered at
# this revision (the module and name of each above it).
FUNCTIONS = [
    # portal.views._ACTIVE_ACCOUNTS
    ("yokoten_count_b5a7f368c24436ef",
     "CREATE FUNCTION yokoten_count_b5a7f368c24436ef (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM users \n"
     "WHERE users.tenant_id = _viewer_tenant AND users.is_active IS true\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # casebook.waiting.APPROVALS
    ("yokoten_count_bdf4a1f54f9e88f5",
     "CREATE FUNCTION yokoten_count_bdf4a1f54f9e88f5 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(cases.updated_at) AS min_1 \n"
     "FROM cases \n"
     "WHERE cases.tenant_id = _viewer_tenant AND cases.release_state = 'proposed'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # casebook.waiting._CHANGES_REQUESTED
    ("yokoten_count_1333748d5a76644d",
     "CREATE FUNCTION yokoten_count_1333748d5a76644d (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_submissions.decided_at) AS min_1 \n"
     "FROM casebook_submissions \n"
     "WHERE casebook_submissions.source_tenant_id = _viewer_tenant AND casebook_submissions.status = "
     "'changes_requested'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # casebook.waiting._QUESTIONS
    ("yokoten_count_364d523bae3e9f00",
     "CREATE FUNCTION yokoten_count_364d523bae3e9f00 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_questions.created_at) AS min_1 \n"
     "FROM casebook_questions JOIN casebook_entries ON casebook_entries.id = "
     "casebook_questions.entry_id \n"
     "WHERE casebook_questions.source_tenant_id = _viewer_tenant AND "
     "casebook_entries.source_tenant_id = _viewer_tenant AND casebook_entries.status = 'published' "
     "AND NOT (EXISTS (SELECT casebook_answers.id \n"
     "FROM casebook_answers \n"
     "WHERE casebook_answers.question_id = casebook_questions.id))\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # casebook.waiting.REVIEW_QUEUE
    ("yokoten_count_459f78048952ab6f",
     "CREATE FUNCTION yokoten_count_459f78048952ab6f (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_submissions.created_at) AS min_1 \n"
     "FROM casebook_submissions \n"
     "WHERE casebook_submissions.status = 'queued'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # casebook.helpers._OUR_CASES
    ("yokoten_count_81b50808d74dbc1a",
     "CREATE FUNCTION yokoten_count_81b50808d74dbc1a (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM cases \n"
     "WHERE cases.tenant_id = _viewer_tenant\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # community.waiting._MY_ACTIONS
    ("yokoten_count_70e0c6ecc6b28189",
     "CREATE FUNCTION yokoten_count_70e0c6ecc6b28189 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, timezone('UTC', CAST(min(community_actions.due_on) AS TIMESTAMP "
     "WITHOUT TIME ZONE)) AS timezone_1 \n"
     "FROM community_actions \n"
     "WHERE community_actions.owner_tenant = _viewer_tenant AND community_actions.status IN ('open', "
     "'in_progress') AND community_actions.owner_user_id = _viewer_id\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # community.waiting._OUR_ACTIONS
    ("yokoten_count_7efb195ae61cd8d8",
     "CREATE FUNCTION yokoten_count_7efb195ae61cd8d8 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, timezone('UTC', CAST(min(community_actions.due_on) AS TIMESTAMP "
     "WITHOUT TIME ZONE)) AS timezone_1 \n"
     "FROM community_actions \n"
     "WHERE community_actions.owner_tenant = _viewer_tenant AND community_actions.status IN ('open', "
     "'in_progress') AND (community_actions.owner_user_id = _viewer_id OR "
     "community_actions.owner_user_id IS NULL)\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # community.waiting._AMENDMENTS
    ("yokoten_count_54ce15d539128fdc",
     "CREATE FUNCTION yokoten_count_54ce15d539128fdc (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(community_amendments.created_at) AS min_1 \n"
     "FROM community_amendments \n"
     "WHERE community_amendments.status = 'open'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # procurement.waiting._APPROVALS
    ("yokoten_count_d6f8f7eb03138245",
     "CREATE FUNCTION yokoten_count_d6f8f7eb03138245 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(procurement_declarations.updated_at) AS min_1 \n"
     "FROM procurement_declarations \n"
     "WHERE procurement_declarations.tenant_id = _viewer_tenant AND procurement_declarations.status = "
     "'pending_approval'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # procurement.waiting._SURVEYS_DUE
    ("yokoten_count_ea599c0e768aa315",
     "CREATE FUNCTION yokoten_count_ea599c0e768aa315 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(procurement_projects.survey_opens_at) AS min_1 \n"
     "FROM procurement_projects \n"
     "WHERE procurement_projects.status = 'demand_survey' AND procurement_projects.survey_opens_at <= "
     "_now AND procurement_projects.survey_closes_at > _now AND (procurement_projects.id NOT IN "
     "(SELECT procurement_declarations.project_id \n"
     "FROM procurement_declarations \n"
     "WHERE procurement_declarations.tenant_id = _viewer_tenant AND procurement_declarations.status "
     "IN ('committed', 'pending_approval')))\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # support.waiting._APPROVALS
    ("yokoten_count_2ea339c7551e3234",
     "CREATE FUNCTION yokoten_count_2ea339c7551e3234 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.updated_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.tenant_id = _viewer_tenant AND support_engagements.release_state = "
     "'proposed'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # support.waiting._SURVEYS
    ("yokoten_count_d06d312bfb700b0b",
     "CREATE FUNCTION yokoten_count_d06d312bfb700b0b (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.closed_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.tenant_id = _viewer_tenant AND support_engagements.stage = 'done' AND "
     "NOT (EXISTS (SELECT support_surveys.engagement_id \n"
     "FROM support_surveys \n"
     "WHERE support_surveys.tenant_id = support_engagements.tenant_id AND "
     "support_surveys.engagement_id = support_engagements.id))\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # support.waiting._INTAKE
    ("yokoten_count_0bebd91e334cda2e",
     "CREATE FUNCTION yokoten_count_0bebd91e334cda2e (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.submitted_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.release_state = 'submitted' AND support_engagements.stage = 'intake'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # workload.waiting._DEPARTMENTS_DUE
    ("yokoten_count_528f5f6155e6a4e8",
     "CREATE FUNCTION yokoten_count_528f5f6155e6a4e8 (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(workload_rounds.opened_at) AS min_1 \n"
     "FROM workload_departments JOIN workload_rounds ON workload_rounds.tenant_id = "
     "workload_departments.tenant_id AND workload_rounds.id = workload_departments.round_id \n"
     "WHERE workload_departments.tenant_id = _viewer_tenant AND workload_departments.contact_user_id "
     "= _viewer_id AND workload_departments.submitted_at IS NULL AND workload_rounds.status = 'open'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
    # awards.waiting._APPROVALS
    ("yokoten_count_cebc58176fa6c45c",
     "CREATE FUNCTION yokoten_count_cebc58176fa6c45c (_viewer_tenant text, _viewer_id bigint, _now "
     "timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz) LANGUAGE plpgsql STABLE AS $count$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT c.n::bigint, c.t::timestamptz FROM (\n"
     "SELECT count(*) AS count_1, min(award_entries.requested_at) AS min_1 \n"
     "FROM award_entries \n"
     "WHERE award_entries.tenant_id = _viewer_tenant AND award_entries.status = 'pending'\n"
     ") AS c(n, t);\n"
     "END\n"
     "$count$"),
]


def upgrade():
    for _name, definition in FUNCTIONS:
        op.execute(definition)


def downgrade():
    for name, _definition in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}{ARGUMENTS}")
