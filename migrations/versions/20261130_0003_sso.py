"""SSO: per-tenant OpenID Connect providers, pending logins, and the public login directory.

Revision ID: 0003_sso
Revises: 0002_api_tokens
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import TENANT_EXPR, enable_tenant_rls, grant_app

revision = "0003_sso"
down_revision = "0002_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    # One provider per tenant. The client secret is stored encrypted (Fernet, key from SSO_SECRET_KEY).
    op.create_table(
        "sso_providers",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_enc", sa.Text, nullable=False, server_default=""),
        sa.Column("scopes", sa.String(500), nullable=False, server_default="openid email profile"),
        sa.Column("email_claim", sa.String(100), nullable=False, server_default="email"),
        sa.Column("name_claim", sa.String(100), nullable=False, server_default="name"),
        sa.Column("groups_claim", sa.String(100), nullable=False, server_default="groups"),
        sa.Column("allowed_domains", postgresql.ARRAY(sa.String(253)), nullable=False, server_default="{}"),
        sa.Column("role_mapping", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    # A login in progress: state (hashed), nonce and PKCE verifier kept on the server, consumed once.
    op.create_table(
        "sso_login_states",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_url", sa.String(2000), nullable=False, server_default="/"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id"], ["sso_providers.tenant_id"], ondelete="CASCADE",
                                name="fk_sso_login_states_tenant_id_sso_providers"),
    )
    op.create_index("ix_sso_login_states_created_at", "sso_login_states", ["tenant_id", "created_at"])
    for table in ("sso_providers", "sso_login_states"):
        enable_tenant_rls(table)
    grant_app("sso_providers", "SELECT, INSERT, UPDATE, DELETE")
    grant_app("sso_login_states", "SELECT, INSERT, DELETE")

    # Which municipalities offer SSO: public (the login picker reads it before anyone is known);
    # a tenant can only add or remove its own code.
    op.create_table(
        "sso_directory",
        sa.Column("tenant_code", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute("ALTER TABLE sso_directory ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE sso_directory FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY directory_read ON sso_directory FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY directory_insert ON sso_directory FOR INSERT WITH CHECK (tenant_code = {TENANT_EXPR})")
    op.execute(f"CREATE POLICY directory_delete ON sso_directory FOR DELETE USING (tenant_code = {TENANT_EXPR})")
    grant_app("sso_directory", "SELECT, INSERT, DELETE")


def downgrade():
    op.drop_table("sso_directory")
    op.drop_table("sso_login_states")
    op.drop_table("sso_providers")
