"""SSO: a second provider (candidate / previous) and re-link plans (issue 23, point 3).

Revision ID: 20261206b_sso_provider_change
Revises: 20261206b_casebook_vocabulary
Create Date: 2026-12-06

``sso_standby_providers``: the candidate provider a municipality tests before switching, and the
previous one kept disabled after a switch for a rollback (settings as JSON, the secret encrypted).
``sso_relink_plans``: an administrator's confirmed plan to re-link an account to the identity at
the new issuer that carries a verified claim value, at that person's first login there.
``sso_login_states.purpose``: "login", or "test" for an administrator's test login.
All tenant-owned with the standard RLS policy.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import enable_tenant_rls, grant_app

revision = "20261206b_sso_provider_change"
down_revision = "20261206b_casebook_vocabulary"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sso_login_states", sa.Column("purpose", sa.String(10), nullable=False, server_default="login"))
    op.create_table(
        "sso_standby_providers",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("slot", sa.String(10), primary_key=True),
        sa.Column("settings", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("tested_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("slot IN ('candidate', 'previous')", name="ck_sso_standby_providers_slot"),
    )
    op.create_table(
        "sso_relink_plans",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("claim", sa.String(100), nullable=False),
        sa.Column("value", sa.String(254), nullable=False),
        sa.Column("planned_by", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("linked_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_sso_relink_plans_tenant_id_users"),
    )
    op.create_index("ix_sso_relink_plans_value", "sso_relink_plans", ["tenant_id", "issuer", "value"])
    for table in ("sso_standby_providers", "sso_relink_plans"):
        enable_tenant_rls(table)
        grant_app(table, "SELECT, INSERT, UPDATE, DELETE")


def downgrade():
    op.drop_table("sso_relink_plans")
    op.drop_table("sso_standby_providers")
    op.drop_column("sso_login_states", "purpose")
