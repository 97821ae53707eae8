"""Kept plans of the case, procurement project and judge's scoring pages' statements (issue 25 point 5).

Revision ID: 20261207d_kept_plan_pages
Revises: 20261207c_kept_plans
Create Date: 2026-12-07

Each of these pages reads what it shows in one statement after the session check, and PostgreSQL planned it again
on every visit, in more time than it ran it (EXPLAIN ANALYZE as the application role on the bench data, planning /
execution): the procurement project page with the viewer's declaration 0.48 / 0.16 ms, the judge's scoring page
0.31 / 0.09 ms, the case page 0.13 / 0.07 ms. As the session check's (20261207c_kept_plans), each statement here is
also a PL/pgSQL function running exactly it (kernel/kept_plans.py ``KeptPlan.function``: its text, the caller's
parameters as arguments, ``RETURNS TABLE`` typed from the result columns the module declares), named by a hash of
that definition; the page calls the function when the database has it and sends the statement itself otherwise. The
pages send them as driver SQL: the call returns the same JSON value (case, procurement) or row (scoring).

SECURITY INVOKER (the default), STABLE, inside the caller's transaction: the viewer's tenant binding and row-level
security apply as to the statement alone (the procurement page's own declaration, read under the viewer's binding).
Their generic plans, which PL/pgSQL may use after five calls on a connection, are the custom ones: each statement
looks its row up by its primary key (casebook_entries, procurement_projects, award_programmes) and its children by
their indexes (auto_explain inside the functions, plan_cache_mode forced, on the bench data).
"""
from alembic import op

revision = "20261207d_kept_plan_pages"
down_revision = "20261207c_kept_plans"
branch_labels = None
depends_on = None

# (name, definition), written out by kernel.kept_plans.KeptPlan.function from the statements wrapped at this
# revision (the module and name of each above it).
FUNCTIONS = [
    # casebook.entry_page._PAGE
    ("yokoten_plan_edf380e9a404eed0",
     "CREATE FUNCTION yokoten_plan_edf380e9a404eed0 (_entry_id BIGINT)\n"
     "RETURNS TABLE (_r1 JSON) LANGUAGE plpgsql STABLE AS $plan$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT json_build_array(\n"
     "           e.id, e.source_tenant_id, e.status, e.title, e.summary, e.problem, e.approach, "
     "e.outcomes, e.themes,\n"
     "           e.tools, e.fiscal_year, e.cost_jpy, e.department, e.stage, e.kpis, e.vendors, "
     "e.products, e.ordinances,\n"
     "           e.lessons, e.replication_conditions, e.contact, e.successor_contact, e.adoption_count,\n"
     "           e.supported_by_tmg, e.published_at,\n"
     "           (SELECT json_build_array(t.code, t.name_ja, t.name_en, t.kind, t.region) FROM tenants t\n"
     "            WHERE t.code = e.source_tenant_id),\n"
     "           (SELECT json_agg(json_build_array(a.id, a.adopter_tenant_id, a.status, a.outcome,\n"
     "                             (SELECT json_build_array(t.name_ja, t.name_en, t.kind, t.region) FROM "
     "tenants t\n"
     "                                 WHERE t.code = a.adopter_tenant_id)) ORDER BY a.created_at, a.id)\n"
     "            FROM casebook_adoptions a WHERE a.entry_id = e.id),\n"
     "           (SELECT json_agg(json_build_array(\n"
     "                       q.id, q.asker_name, q.body, q.created_at,\n"
     "                       (SELECT json_agg(json_build_array(r.answerer_name, r.body, r.created_at)\n"
     "                                        ORDER BY r.created_at, r.id)\n"
     "                        FROM casebook_answers r WHERE r.question_id = q.id)) ORDER BY q.created_at, "
     "q.id)\n"
     "            FROM casebook_questions q WHERE q.entry_id = e.id),\n"
     "           (SELECT value FROM casebook_generation))\n"
     "    FROM casebook_entries e WHERE e.id = _entry_id;\n"
     "END\n"
     "$plan$"),
    # procurement.project_page._PAGE
    ("yokoten_plan_751b98526c54f124",
     "CREATE FUNCTION yokoten_plan_751b98526c54f124 (_project_id BIGINT)\n"
     "RETURNS TABLE (_r1 JSON) LANGUAGE plpgsql STABLE AS $plan$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT json_build_array(\n"
     "           p.id, p.organiser_tenant_id, p.title, p.description, p.category, p.status, "
     "p.survey_opens_at,\n"
     "           p.survey_closes_at, p.contract_start_fy, p.contract_end_fy, p.cancel_reason, "
     "p.awarded_quote_id,\n"
     "           p.contract_total_yen, p.standalone_total_yen, p.version,\n"
     "           (SELECT json_build_array(t.code, t.name_ja, t.name_en, t.kind, t.region) FROM tenants t\n"
     "            WHERE t.code = p.organiser_tenant_id),\n"
     "           (SELECT json_agg(json_build_array(i.id, i.name, i.unit) ORDER BY i.position, i.id)\n"
     "            FROM procurement_items i WHERE i.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(e.to_status, e.reason, e.occurred_at) ORDER BY e.id)\n"
     "            FROM procurement_status_events e WHERE e.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(d.id, d.title, d.filename, d.size) ORDER BY d.id)\n"
     "            FROM procurement_documents d WHERE d.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(q.id, q.vendor_name) ORDER BY q.id)\n"
     "            FROM procurement_quotes q WHERE q.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(l.quote_id, l.item_id, l.setup_fee_yen) ORDER BY "
     "l.quote_id, l.item_id)\n"
     "            FROM procurement_quote_lines l\n"
     "            WHERE l.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = "
     "p.id))),\n"
     "           (SELECT json_agg(json_build_array(t.quote_id, t.item_id, t.min_quantity, "
     "t.unit_price_yen)\n"
     "                            ORDER BY t.quote_id, t.item_id, t.min_quantity)\n"
     "            FROM procurement_quote_tiers t\n"
     "            WHERE t.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = "
     "p.id))),\n"
     "           (SELECT json_agg(json_build_array(x.item_id, x.declared_quantity, x.committed_quantity))\n"
     "            FROM procurement_demand_totals x WHERE x.project_id = p.id),\n"
     "           (SELECT json_build_array(c.declared, c.committed) FROM procurement_participation c\n"
     "            WHERE c.project_id = p.id))\n"
     "    FROM procurement_projects p WHERE p.id = _project_id;\n"
     "END\n"
     "$plan$"),
    # procurement.project_page._PAGE_WITH_OWN
    ("yokoten_plan_131f388fc340a3f4",
     "CREATE FUNCTION yokoten_plan_131f388fc340a3f4 (_project_id BIGINT, _tenant VARCHAR(6))\n"
     "RETURNS TABLE (_r1 JSON) LANGUAGE plpgsql STABLE AS $plan$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT json_build_array(\n"
     "           p.id, p.organiser_tenant_id, p.title, p.description, p.category, p.status, "
     "p.survey_opens_at,\n"
     "           p.survey_closes_at, p.contract_start_fy, p.contract_end_fy, p.cancel_reason, "
     "p.awarded_quote_id,\n"
     "           p.contract_total_yen, p.standalone_total_yen, p.version,\n"
     "           (SELECT json_build_array(t.code, t.name_ja, t.name_en, t.kind, t.region) FROM tenants t\n"
     "            WHERE t.code = p.organiser_tenant_id),\n"
     "           (SELECT json_agg(json_build_array(i.id, i.name, i.unit) ORDER BY i.position, i.id)\n"
     "            FROM procurement_items i WHERE i.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(e.to_status, e.reason, e.occurred_at) ORDER BY e.id)\n"
     "            FROM procurement_status_events e WHERE e.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(d.id, d.title, d.filename, d.size) ORDER BY d.id)\n"
     "            FROM procurement_documents d WHERE d.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(q.id, q.vendor_name) ORDER BY q.id)\n"
     "            FROM procurement_quotes q WHERE q.project_id = p.id),\n"
     "           (SELECT json_agg(json_build_array(l.quote_id, l.item_id, l.setup_fee_yen) ORDER BY "
     "l.quote_id, l.item_id)\n"
     "            FROM procurement_quote_lines l\n"
     "            WHERE l.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = "
     "p.id))),\n"
     "           (SELECT json_agg(json_build_array(t.quote_id, t.item_id, t.min_quantity, "
     "t.unit_price_yen)\n"
     "                            ORDER BY t.quote_id, t.item_id, t.min_quantity)\n"
     "            FROM procurement_quote_tiers t\n"
     "            WHERE t.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = "
     "p.id))),\n"
     "           (SELECT json_agg(json_build_array(x.item_id, x.declared_quantity, x.committed_quantity))\n"
     "            FROM procurement_demand_totals x WHERE x.project_id = p.id),\n"
     "           (SELECT json_build_array(c.declared, c.committed) FROM procurement_participation c\n"
     "            WHERE c.project_id = p.id),\n"
     "           (SELECT json_build_array(d.status, d.max_budget_yen, d.version,\n"
     "                (SELECT json_agg(json_build_array(l.item_id, l.quantity) ORDER BY l.item_id)\n"
     "                 FROM procurement_declaration_lines l WHERE l.tenant_id = _tenant AND l.project_id "
     "= p.id))\n"
     "            FROM procurement_declarations d WHERE d.tenant_id = _tenant AND d.project_id = p.id))\n"
     "    FROM procurement_projects p WHERE p.id = _project_id;\n"
     "END\n"
     "$plan$"),
    # awards.scoring_page._PAGE
    ("yokoten_plan_a07f4586874e13c6",
     "CREATE FUNCTION yokoten_plan_a07f4586874e13c6 (_programme_id BIGINT, _submission_id BIGINT, _tenant "
     "VARCHAR(6), _user_id BIGINT)\n"
     "RETURNS TABLE (_r1 BIGINT, _r2 BOOLEAN, _r3 VARCHAR(10), _r4 VARCHAR(10), _r5 TIMESTAMP WITH TIME "
     "ZONE, _r6 TIMESTAMP WITH TIME ZONE, _r7 TEXT[], _r8 BIGINT, _r9 BIGINT, _r10 VARCHAR(6), _r11 "
     "VARCHAR(200), _r12 TEXT, _r13 TEXT, _r14 TEXT, _r15 TEXT, _r16 TEXT, _r17 TEXT, _r18 "
     "VARCHAR(255)[], _r19 VARCHAR(100)[], _r20 BIGINT, _r21 BOOLEAN, _r22 TEXT, _r23 BIGINT[]) LANGUAGE "
     "plpgsql STABLE AS $plan$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT p.id, p.blind, p.comment_mode, p.stage, p.judging_opens_at, "
     "p.judging_closes_at,\n"
     "       (SELECT array_agg(ARRAY[c.id::text, c.name, c.description, c.weight::text, "
     "c.scale_min::text,\n"
     "                               c.scale_max::text, c.levels] ORDER BY c.position, c.id)\n"
     "        FROM award_criteria c WHERE c.programme_id = p.id),\n"
     "       j.id, s.id, s.entrant_code, s.title, s.summary, s.background, s.activities, s.system, "
     "s.effects, s.ingenuity,\n"
     "       (SELECT array_agg(f.filename ORDER BY f.id) FROM award_submission_files f WHERE "
     "f.submission_id = s.id),\n"
     "       (SELECT ARRAY[t.name_ja, t.name_en, t.name_kana] FROM tenants t WHERE t.code = "
     "s.entrant_code),\n"
     "       sh.id, sh.is_final, sh.comment,\n"
     "       (SELECT array_agg(ARRAY[x.criterion_id, x.value]) FROM award_scores x WHERE x.sheet_id = "
     "sh.id)\n"
     "FROM award_programmes p\n"
     "LEFT JOIN award_judges j ON j.programme_id = p.id AND j.judge_tenant = _tenant AND j.judge_user_id "
     "= _user_id\n"
     "LEFT JOIN award_submissions s ON s.id = _submission_id AND s.programme_id = p.id AND s.withdrawn_at "
     "IS NULL\n"
     "     AND (p.stage <> 'final' OR s.shortlisted) AND s.entrant_code <> j.judge_tenant\n"
     "     AND EXISTS (SELECT 1 FROM award_assignments a WHERE a.judge_id = j.id\n"
     "                 AND (a.category_id = s.category_id OR a.submission_id = s.id))\n"
     "     AND NOT EXISTS (SELECT 1 FROM award_recusals r WHERE r.judge_id = j.id AND r.submission_id = "
     "s.id)\n"
     "LEFT JOIN award_score_sheets sh ON sh.judge_id = j.id AND sh.submission_id = s.id AND sh.stage = "
     "p.stage\n"
     "WHERE p.id = _programme_id;\n"
     "END\n"
     "$plan$"),
]


def upgrade():
    for _name, definition in FUNCTIONS:
        op.execute(definition)


def downgrade():
    # A function is dropped by its name alone (each name is one function: no overloads).
    for name, _definition in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
