"""Kept plan of the profile page's token list (issue 25 point 5).

Revision ID: 20261207h_kept_plan_tokens
Revises: 20261207g_text_words
Create Date: 2026-12-07

The profile page (the lightest logged-in page, the benchmark's floor) lists the person's API tokens on every visit,
and PostgreSQL planned that statement each time in 0.09 ms, three times its execution (EXPLAIN ANALYZE as the
application role on the bench data). As the session check's (20261207c_kept_plans), the statement is also a PL/pgSQL
function running exactly it (kernel/kept_plans.py ``KeptPlan.function``), named by a hash of its definition; the page
calls it when the database has it. SECURITY INVOKER (the default), STABLE, inside the caller's transaction: the
caller's tenant binding and row-level security apply as to the statement alone. A person has a handful of tokens
and a municipality a few dozen: the generic plan, as the custom one, reads the municipality's rows (by the primary
key's leading tenant_id, or a scan of a table this small) and keeps the person's.
"""
from alembic import op

revision = "20261207h_kept_plan_tokens"
down_revision = "20261207g_text_words"
branch_labels = None
depends_on = None

# (name, definition), written out by kernel.kept_plans.KeptPlan.function from tenants.tokens._TOKENS_OF_USER.
FUNCTIONS = [
    ("yokoten_plan_e8af18a99de346d5",
     "CREATE FUNCTION yokoten_plan_e8af18a99de346d5 (_tenant VARCHAR(6), _user BIGINT)\n"
     "RETURNS TABLE (_r1 BIGINT, _r2 VARCHAR(100), _r3 VARCHAR(20), _r4 VARCHAR(40)[], "
     "_r5 TIMESTAMP WITH TIME ZONE, _r6 TIMESTAMP WITH TIME ZONE, _r7 TIMESTAMP WITH TIME ZONE) "
     "LANGUAGE plpgsql STABLE AS $plan$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT api_tokens.id, api_tokens.name, api_tokens.prefix, api_tokens.scopes, "
     "api_tokens.created_at, api_tokens.last_used_at, api_tokens.revoked_at \n"
     "FROM api_tokens \n"
     "WHERE api_tokens.tenant_id = _tenant AND api_tokens.user_id = _user "
     "ORDER BY api_tokens.created_at DESC;\n"
     "END\n"
     "$plan$"),
]


def upgrade():
    for _name, definition in FUNCTIONS:
        op.execute(definition)


def downgrade():
    for name, _definition in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
