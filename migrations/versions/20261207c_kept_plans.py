"""Kept plans: the session check, sent on every logged-in page, with its plan kept by PostgreSQL (issue 25 point 5).

Revision ID: 20261207c_kept_plans
Revises: 20261207b_dashboard_counts
Create Date: 2026-12-07

Every logged-in request reads its server session, the user, their municipality, their roles and the unread
count in one statement (tenants/auth.py ``_SESSION_CHECK``), and PostgreSQL planned it again on every request:
0.14 ms of planning for 0.05 ms of execution on the bench data (EXPLAIN ANALYZE as the application role), 70 % of
its server time. A PL/pgSQL function keeps the plan of its query for the life of the server connection (which
PREPARE cannot do behind PgBouncer's transaction pooling): the function here runs exactly that statement
(kernel/kept_plans.py ``KeptPlan.function``: its text with its constants written out, the caller's parameters as
arguments, ``RETURNS TABLE`` typed from the statement's result columns), named by a hash of that definition. The
session check calls the function when the database has it and sends the statement itself otherwise: a statement
whose code changes gets another name and runs uncached (still exact) until a later migration adds its function;
tests/kernel/test_kept_plans.py lists those.

The function runs as the caller (SECURITY INVOKER, the default) inside the caller's transaction: the same role,
tenant binding (``set_config(..., true)``, sent in front of the call) and row-level security as the statement
alone; the kept plan evaluates the policies at each run, for the binding of that moment. STABLE: it only reads.
After five calls on a connection PL/pgSQL may use a generic plan: the statement's is the same as its custom plans
(the primary keys of auth_sessions, users and tenants, the memberships' and notifications' indexes; EXPLAIN under
``plan_cache_mode = force_generic_plan`` on the bench data). It grants nothing (PUBLIC keeps its default EXECUTE).
"""
from alembic import op

revision = "20261207c_kept_plans"
down_revision = "20261207b_dashboard_counts"
branch_labels = None
depends_on = None

# (name, definition), written out by kernel.kept_plans.KeptPlan.function from the statements wrapped at
# this revision (the module and name of each above it).
FUNCTIONS = [
    # tenants.auth._SESSION_CHECK
    ("yokoten_plan_a62b677cf47ec13d",
     "CREATE FUNCTION yokoten_plan_a62b677cf47ec13d (_session_hash VARCHAR(64), _tenant VARCHAR(6))\n"
     "RETURNS TABLE (_r1 VARCHAR(6), _r2 VARCHAR(64), _r3 BIGINT, _r4 TIMESTAMP WITH TIME ZONE, _r5 "
     "TIMESTAMP WITH TIME ZONE, _r6 TIMESTAMP WITH TIME ZONE, _r7 VARCHAR(20), _r8 VARCHAR(4000), _r9 "
     "VARCHAR(255), _r10 VARCHAR(6), _r11 BIGINT, _r12 VARCHAR(254), _r13 VARCHAR(200), _r14 "
     "VARCHAR(500), _r15 VARCHAR(255), _r16 BOOLEAN, _r17 TIMESTAMP WITH TIME ZONE, _r18 TIMESTAMP WITH "
     "TIME ZONE, _r19 VARCHAR(6), _r20 VARCHAR(100), _r21 VARCHAR(100), _r22 VARCHAR(100), _r23 "
     "VARCHAR(20), _r24 VARCHAR(20), _r25 BOOLEAN, _r26 TIMESTAMP WITH TIME ZONE, _r27 VARCHAR(20)[], "
     "_r28 BIGINT) LANGUAGE plpgsql STABLE AS $plan$\n"
     "BEGIN\n"
     "RETURN QUERY SELECT auth_sessions.tenant_id, auth_sessions.id, auth_sessions.user_id, "
     "auth_sessions.created_at, auth_sessions.last_seen_at, auth_sessions.ended_at, "
     "auth_sessions.login_method, auth_sessions.id_token_hint, auth_sessions.sso_sid, users.tenant_id AS "
     "tenant_id_1, users.id AS id_1, users.email, users.display_name, users.issuer, users.subject, "
     "users.is_active, users.last_login_at, users.created_at AS created_at_1, tenants.code, "
     "tenants.name_ja, tenants.name_kana, tenants.name_en, tenants.kind, tenants.region, "
     "tenants.is_active AS is_active_1, tenants.created_at AS created_at_2, (SELECT "
     "array_agg(memberships.role) AS array_agg_1 \n"
     "FROM memberships \n"
     "WHERE memberships.tenant_id = auth_sessions.tenant_id AND memberships.user_id = "
     "auth_sessions.user_id) AS anon_1, (SELECT count(*) AS count_1 \n"
     "FROM notifications \n"
     "WHERE notifications.tenant_id = auth_sessions.tenant_id AND notifications.user_id = "
     "auth_sessions.user_id AND notifications.read_at IS NULL) AS anon_2 \n"
     "FROM auth_sessions JOIN users ON users.tenant_id = auth_sessions.tenant_id AND users.id = "
     "auth_sessions.user_id JOIN tenants ON tenants.code = users.tenant_id \n"
     "WHERE auth_sessions.tenant_id = _tenant AND auth_sessions.id = _session_hash;\n"
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
