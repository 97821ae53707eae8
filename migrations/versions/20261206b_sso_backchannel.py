"""SSO: OpenID Connect Back-Channel Logout (issue 23, point 2).

Revision ID: 20261206b_sso_backchannel
Revises: 20261206b_search_buckets
Create Date: 2026-12-06

``auth_sessions.sso_sid``: the IdP's session id (the ID token's ``sid``) of an SSO login, so that a
logout token naming that sid ends exactly that portal session. ``sso_logout_tokens``: the ``jti`` of
every accepted logout token (hashed), kept an hour, so that a replayed token is refused (tenant-owned,
RLS like every tenant table).
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls, grant_app

revision = "20261206b_sso_backchannel"
down_revision = "20261206b_search_buckets"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("auth_sessions", sa.Column("sso_sid", sa.String(255), nullable=True))
    # Built concurrently: auth_sessions is written on every login and must stay writable meanwhile.
    with op.get_context().autocommit_block():
        op.create_index("ix_auth_sessions_sso_sid", "auth_sessions", ["tenant_id", "sso_sid"],
                        postgresql_where=sa.text("sso_sid IS NOT NULL"), postgresql_concurrently=True)
    op.create_table(
        "sso_logout_tokens",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("jti_hash", sa.String(64), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id"], ["sso_providers.tenant_id"], ondelete="CASCADE",
                                name="fk_sso_logout_tokens_tenant_id_sso_providers"),
    )
    op.create_index("ix_sso_logout_tokens_received_at", "sso_logout_tokens", ["tenant_id", "received_at"])
    enable_tenant_rls("sso_logout_tokens")
    grant_app("sso_logout_tokens", "SELECT, INSERT, DELETE")


def downgrade():
    op.drop_table("sso_logout_tokens")
    op.drop_index("ix_auth_sessions_sso_sid", table_name="auth_sessions")
    op.drop_column("auth_sessions", "sso_sid")
