"""Counts functions: each common dashboard's counts in one PL/pgSQL function (issue 25 point 5).

Revision ID: 20261207g_counts_functions
Revises: 20261207f_case_counts
Create Date: 2026-12-07

The dashboard asked its counts as a UNION ALL of one count function per count (20261207_count_functions): a
member's seven counts were seven function calls in one statement, and each call costs PostgreSQL its own
function-call setup (the PL/pgSQL frame, the kept plan's checks and locks, the executor of its query, the
tuplestore of RETURN QUERY) besides the statement's parsing and planning. A *counts function*
(kernel/waiting.py ``counts_function``) runs all the distinct count statements of one dashboard as one query
(a UNION ALL of exactly those statements, each branch numbered by its position): one call, one kept plan.
Measured on the Tokyo bench data as the application role with the tenant bound (backend CPU from
/proc/<pid>/schedstat, 21 interleaved rounds of 200 transactions, medians): a member's statement 236 -> 163 us
per transaction (the empty transaction 29 us), an administrator's 401 -> 290 us.

Named by a hash of its definition like the count functions: a dashboard whose statements (or their order)
change gets another name, and until a migration creates it the dashboard asks the count functions as before
(still exact; tests/notifications/test_waiting_together.py names the missing ones for the test accounts). Here:
the dashboards of the role combinations the Tokyo bench data and the demo data hold (the functions do not
depend on the municipality, only on whether it is TMG and on the roles).

As the count functions: SECURITY INVOKER (the default) and STABLE, so each branch runs under the caller's role,
tenant binding and row-level security, in the caller's snapshot; no grant (PUBLIC keeps EXECUTE).
"""
from alembic import op

revision = "20261207g_counts_functions"
down_revision = "20261207f_case_counts"
branch_labels = None
depends_on = None

ARGUMENTS = "(text, bigint, timestamptz)"

# (name, definition), written out by kernel.waiting.counts_function from kernel.dashboard.dashboard_statements of
# a person with each role combination (named above each) at this revision.
FUNCTIONS = [
    # a municipality's judge + member, a municipality's member
    ("yokoten_counts_377a44dca9869acb",
     "CREATE FUNCTION yokoten_counts_377a44dca9869acb (_viewer_tenant text, _viewer_id bigint, "
     "_now timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz, branch integer) LANGUAGE plpgsql "
     "STABLE AS $counts$\n"
     "BEGIN\n"
     "RETURN QUERY\n"
     "SELECT c.n::bigint, c.t::timestamptz, 0 FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_submissions.decided_at) AS min_1 \n"
     "FROM casebook_submissions \n"
     "WHERE casebook_submissions.source_tenant_id = _viewer_tenant AND "
     "casebook_submissions.status = 'changes_requested'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 1 FROM (\n"
     "SELECT count(*) AS count_1, min(workload_rounds.opened_at) AS min_1 \n"
     "FROM workload_departments JOIN workload_rounds ON workload_rounds.tenant_id = "
     "workload_departments.tenant_id AND workload_rounds.id = workload_departments.round_id \n"
     "WHERE workload_departments.tenant_id = _viewer_tenant AND "
     "workload_departments.contact_user_id = _viewer_id AND workload_departments.submitted_at "
     "IS NULL AND workload_rounds.status = 'open'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 2 FROM (\n"
     "SELECT count(*) AS count_1, timezone('UTC', CAST(min(community_actions.due_on) AS "
     "TIMESTAMP WITHOUT TIME ZONE)) AS timezone_1 \n"
     "FROM community_actions \n"
     "WHERE community_actions.owner_tenant = _viewer_tenant AND community_actions.status IN "
     "('open', 'in_progress') AND community_actions.owner_user_id = _viewer_id\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 3 FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM users \n"
     "WHERE users.tenant_id = _viewer_tenant AND users.is_active IS true\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 4 FROM (\n"
     "SELECT coalesce(max(case_counts.cases), 0) AS coalesce_1, CAST(NULL AS TIMESTAMP WITH "
     "TIME ZONE) AS anon_1 \n"
     "FROM case_counts \n"
     "WHERE case_counts.tenant_id = _viewer_tenant\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 5 FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.closed_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.tenant_id = _viewer_tenant AND support_engagements.stage = "
     "'done' AND NOT (EXISTS (SELECT support_surveys.engagement_id \n"
     "FROM support_surveys \n"
     "WHERE support_surveys.tenant_id = support_engagements.tenant_id AND "
     "support_surveys.engagement_id = support_engagements.id))\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 6 FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_questions.created_at) AS min_1 \n"
     "FROM casebook_questions JOIN casebook_entries ON casebook_entries.id = "
     "casebook_questions.entry_id \n"
     "WHERE casebook_questions.source_tenant_id = _viewer_tenant AND "
     "casebook_questions.answered_at IS NULL AND casebook_entries.source_tenant_id = "
     "_viewer_tenant AND casebook_entries.status = 'published' AND NOT (EXISTS (SELECT "
     "casebook_answers.id \n"
     "FROM casebook_answers \n"
     "WHERE casebook_answers.question_id = casebook_questions.id))\n"
     ") AS c(n, t);\n"
     "END\n"
     "$counts$"),
    # a municipality's judge + member + tenant_admin, a municipality's member + tenant_admin
    ("yokoten_counts_2493a3b02eedfaf9",
     "CREATE FUNCTION yokoten_counts_2493a3b02eedfaf9 (_viewer_tenant text, _viewer_id bigint, "
     "_now timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz, branch integer) LANGUAGE plpgsql "
     "STABLE AS $counts$\n"
     "BEGIN\n"
     "RETURN QUERY\n"
     "SELECT c.n::bigint, c.t::timestamptz, 0 FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_submissions.decided_at) AS min_1 \n"
     "FROM casebook_submissions \n"
     "WHERE casebook_submissions.source_tenant_id = _viewer_tenant AND "
     "casebook_submissions.status = 'changes_requested'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 1 FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.updated_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.tenant_id = _viewer_tenant AND "
     "support_engagements.release_state = 'proposed'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 2 FROM (\n"
     "SELECT count(*) AS count_1, min(workload_rounds.opened_at) AS min_1 \n"
     "FROM workload_departments JOIN workload_rounds ON workload_rounds.tenant_id = "
     "workload_departments.tenant_id AND workload_rounds.id = workload_departments.round_id \n"
     "WHERE workload_departments.tenant_id = _viewer_tenant AND "
     "workload_departments.contact_user_id = _viewer_id AND workload_departments.submitted_at "
     "IS NULL AND workload_rounds.status = 'open'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 3 FROM (\n"
     "SELECT count(*) AS count_1, timezone('UTC', CAST(min(community_actions.due_on) AS "
     "TIMESTAMP WITHOUT TIME ZONE)) AS timezone_1 \n"
     "FROM community_actions \n"
     "WHERE community_actions.owner_tenant = _viewer_tenant AND community_actions.status IN "
     "('open', 'in_progress') AND (community_actions.owner_user_id = _viewer_id OR "
     "community_actions.owner_user_id IS NULL)\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 4 FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM users \n"
     "WHERE users.tenant_id = _viewer_tenant AND users.is_active IS true\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 5 FROM (\n"
     "SELECT count(*) AS count_1, min(cases.updated_at) AS min_1 \n"
     "FROM cases \n"
     "WHERE cases.tenant_id = _viewer_tenant AND cases.release_state = 'proposed'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 6 FROM (\n"
     "SELECT coalesce(max(case_counts.cases), 0) AS coalesce_1, CAST(NULL AS TIMESTAMP WITH "
     "TIME ZONE) AS anon_1 \n"
     "FROM case_counts \n"
     "WHERE case_counts.tenant_id = _viewer_tenant\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 7 FROM (\n"
     "SELECT count(*) AS count_1, min(award_entries.requested_at) AS min_1 \n"
     "FROM award_entries \n"
     "WHERE award_entries.tenant_id = _viewer_tenant AND award_entries.status = 'pending'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 8 FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.closed_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.tenant_id = _viewer_tenant AND support_engagements.stage = "
     "'done' AND NOT (EXISTS (SELECT support_surveys.engagement_id \n"
     "FROM support_surveys \n"
     "WHERE support_surveys.tenant_id = support_engagements.tenant_id AND "
     "support_surveys.engagement_id = support_engagements.id))\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 9 FROM (\n"
     "SELECT count(*) AS count_1, min(procurement_declarations.updated_at) AS min_1 \n"
     "FROM procurement_declarations \n"
     "WHERE procurement_declarations.tenant_id = _viewer_tenant AND "
     "procurement_declarations.status = 'pending_approval'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 10 FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_questions.created_at) AS min_1 \n"
     "FROM casebook_questions JOIN casebook_entries ON casebook_entries.id = "
     "casebook_questions.entry_id \n"
     "WHERE casebook_questions.source_tenant_id = _viewer_tenant AND "
     "casebook_questions.answered_at IS NULL AND casebook_entries.source_tenant_id = "
     "_viewer_tenant AND casebook_entries.status = 'published' AND NOT (EXISTS (SELECT "
     "casebook_answers.id \n"
     "FROM casebook_answers \n"
     "WHERE casebook_answers.question_id = casebook_questions.id))\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 11 FROM (\n"
     "SELECT count(*) AS count_1, min(procurement_projects.survey_opens_at) AS min_1 \n"
     "FROM procurement_projects \n"
     "WHERE procurement_projects.status = 'demand_survey' AND "
     "procurement_projects.survey_opens_at <= _now AND procurement_projects.survey_closes_at > "
     "_now AND (procurement_projects.id NOT IN (SELECT procurement_declarations.project_id \n"
     "FROM procurement_declarations \n"
     "WHERE procurement_declarations.tenant_id = _viewer_tenant AND "
     "procurement_declarations.status IN ('committed', 'pending_approval')))\n"
     ") AS c(n, t);\n"
     "END\n"
     "$counts$"),
    # TMG's curator
    ("yokoten_counts_8d557f93a3aeba4b",
     "CREATE FUNCTION yokoten_counts_8d557f93a3aeba4b (_viewer_tenant text, _viewer_id bigint, "
     "_now timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz, branch integer) LANGUAGE plpgsql "
     "STABLE AS $counts$\n"
     "BEGIN\n"
     "RETURN QUERY\n"
     "SELECT c.n::bigint, c.t::timestamptz, 0 FROM (\n"
     "SELECT count(*) AS count_1, min(casebook_submissions.created_at) AS min_1 \n"
     "FROM casebook_submissions \n"
     "WHERE casebook_submissions.status = 'queued'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 1 FROM (\n"
     "SELECT count(*) AS count_1, min(community_amendments.created_at) AS min_1 \n"
     "FROM community_amendments \n"
     "WHERE community_amendments.status = 'open'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 2 FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM users \n"
     "WHERE users.tenant_id = _viewer_tenant AND users.is_active IS true\n"
     ") AS c(n, t);\n"
     "END\n"
     "$counts$"),
    # TMG's judge, TMG's operator
    ("yokoten_counts_442d27794bfe4956",
     "CREATE FUNCTION yokoten_counts_442d27794bfe4956 (_viewer_tenant text, _viewer_id bigint, "
     "_now timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz, branch integer) LANGUAGE plpgsql "
     "STABLE AS $counts$\n"
     "BEGIN\n"
     "RETURN QUERY\n"
     "SELECT c.n::bigint, c.t::timestamptz, 0 FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM users \n"
     "WHERE users.tenant_id = _viewer_tenant AND users.is_active IS true\n"
     ") AS c(n, t);\n"
     "END\n"
     "$counts$"),
    # TMG's supporter
    ("yokoten_counts_40156767020a13ba",
     "CREATE FUNCTION yokoten_counts_40156767020a13ba (_viewer_tenant text, _viewer_id bigint, "
     "_now timestamptz)\n"
     "RETURNS TABLE (waiting bigint, oldest timestamptz, branch integer) LANGUAGE plpgsql "
     "STABLE AS $counts$\n"
     "BEGIN\n"
     "RETURN QUERY\n"
     "SELECT c.n::bigint, c.t::timestamptz, 0 FROM (\n"
     "SELECT count(*) AS count_1, min(support_engagements.submitted_at) AS min_1 \n"
     "FROM support_engagements \n"
     "WHERE support_engagements.release_state = 'submitted' AND support_engagements.stage = 'intake'\n"
     ") AS c(n, t)\n"
     "UNION ALL\n"
     "SELECT c.n::bigint, c.t::timestamptz, 1 FROM (\n"
     "SELECT count(*) AS count_1, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS anon_1 \n"
     "FROM users \n"
     "WHERE users.tenant_id = _viewer_tenant AND users.is_active IS true\n"
     ") AS c(n, t);\n"
     "END\n"
     "$counts$"),
]


def upgrade():
    for _name, definition in FUNCTIONS:
        op.execute(definition)


def downgrade():
    for name, _definition in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}{ARGUMENTS}")
