"""Idempotency keys: a repeated or concurrent state-changing request runs once (portal/idempotency.py).

Revision ID: 20261206_idempotency_keys
Revises: 20261206_support
Create Date: 2026-12-06

Tenant-owned (tenant_id first in the key) with the standard RLS policy: a key and the answer it
remembers belong to one person of one municipality.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import disable_tenant_rls, enable_tenant_rls, grant_app

revision = "20261206_idempotency_keys"
down_revision = "20261206_support"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("location", sa.String(1000)),
        sa.Column("body", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_idempotency_keys_tenant_id_users"),
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["tenant_id", "created_at"])
    enable_tenant_rls("idempotency_keys")
    grant_app("idempotency_keys", "SELECT, INSERT, UPDATE, DELETE")


def downgrade():
    disable_tenant_rls("idempotency_keys")
    op.drop_table("idempotency_keys")
