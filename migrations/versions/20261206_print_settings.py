"""A tenant's print settings: the number of boxes of the 回覧・決裁 stamp block.

Revision ID: 20261206_print_settings
Revises: 20261206_community
Create Date: 2026-12-06

Tenant-owned (tenant_id is the primary key): RLS enabled and forced with the standard policy; the
application role may read and write its own tenant's row only.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls, grant_app

revision = "20261206_print_settings"
down_revision = "20261206_community"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "print_settings",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("approval_boxes", sa.SmallInteger, nullable=False, server_default="5"),
        sa.CheckConstraint("approval_boxes BETWEEN 2 AND 8", name="approval_boxes_range"),
    )
    enable_tenant_rls("print_settings")
    grant_app("print_settings", "SELECT, INSERT, UPDATE")


def downgrade():
    op.drop_table("print_settings")
