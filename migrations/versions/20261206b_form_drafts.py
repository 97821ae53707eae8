"""Server-side drafts of long forms (kernel/drafts.py, issue 17.3).

Revision ID: 20261206b_form_drafts
Revises: 20261206b_sso_inactivity
Create Date: 2026-12-06

Tenant-owned (tenant_id first in the key) with the standard RLS policy: a draft belongs to one person
of one municipality and is never visible to another.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tenants.rls import disable_tenant_rls, enable_tenant_rls, grant_app

revision = "20261206b_form_drafts"
down_revision = "20261206b_sso_inactivity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_drafts",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("form_key", sa.String(300), primary_key=True),
        sa.Column("fields", JSONB, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_form_drafts_tenant_id_users"),
        sa.CheckConstraint("kind IN ('autosave', 'posted')", name="ck_form_drafts_kind"),
    )
    op.create_index("ix_form_drafts_updated", "form_drafts", ["tenant_id", "updated_at"])
    enable_tenant_rls("form_drafts")
    grant_app("form_drafts", "SELECT, INSERT, UPDATE, DELETE")


def downgrade():
    disable_tenant_rls("form_drafts")
    op.drop_table("form_drafts")
