"""Foundation: application role, tenants, users, memberships, login sessions, audit log, RLS.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import TENANT_EXPR, app_role, enable_tenant_rls, grant_app, q

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ("users", "memberships", "auth_sessions")


def upgrade():
    role = app_role()
    # The application role logs in, owns nothing, is no superuser and cannot bypass RLS.
    op.execute(f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {q(role)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {q(role)}")

    op.create_table(
        "tenants",
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name_ja", sa.String(100), nullable=False),
        sa.Column("name_kana", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("region", sa.String(20), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("code ~ '^[0-9]{6}$'", name="code_is_6_digits"),
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(500)),
        sa.Column("subject", sa.String(255)),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
        sa.UniqueConstraint("issuer", "subject", name="uq_users_issuer_subject"),
    )
    op.create_table(
        "memberships",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_memberships_tenant_id_users"),
        sa.CheckConstraint("role IN ('member','tenant_admin','curator','judge','operator')", name="known_role"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("login_method", sa.String(20), nullable=False, server_default="dev"),
        sa.Column("id_token_hint", sa.String(4000)),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_auth_sessions_tenant_id_users"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("tenant_id", sa.String(6)),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("object_type", sa.String(60)),
        sa.Column("object_id", sa.String(120)),
        sa.Column("before", postgresql.JSONB),
        sa.Column("after", postgresql.JSONB),
        sa.Column("ip", postgresql.INET),
        sa.Column("request_id", sa.String(64)),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_audit_log_tenant_id", "audit_log", ["tenant_id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])

    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    # Audit log: the app reads its own tenant's rows and appends; events before any tenant is
    # known (a refused login of an unknown municipality) are written with tenant_id NULL and are
    # readable only by the owner (operators' CLI).
    op.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON audit_log USING (tenant_id = {TENANT_EXPR}) "
        f"WITH CHECK (tenant_id IS NOT DISTINCT FROM {TENANT_EXPR})"
    )

    grant_app("tenants", "SELECT")
    grant_app("users", "SELECT, INSERT, UPDATE")
    grant_app("memberships", "SELECT, INSERT, DELETE")
    grant_app("auth_sessions", "SELECT, INSERT, UPDATE")
    grant_app("audit_log", "SELECT, INSERT")
    # Audit inserts skip RETURNING (see kernel.audit), so SQLAlchemy draws the id from the sequence.
    op.execute(f"GRANT USAGE ON SEQUENCE audit_log_id_seq TO {q(role)}")
    grant_app("alembic_version", "SELECT")


def downgrade():
    for table in ("audit_log", "auth_sessions", "memberships", "users", "tenants"):
        op.drop_table(table)
    # Policies go with their tables; the application role stays (it may own sessions elsewhere).
    op.execute(f"REVOKE ALL ON alembic_version FROM {q(app_role())}")
