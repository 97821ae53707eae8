"""Which code a schema still serves: the table behind /readyz's rolling-upgrade check.

Revision ID: 20261206_schema_requirements
Revises: 20261206_notifications_kernel
Create Date: 2026-12-06

During a rolling upgrade the new release's migrations run while the previous release still serves.
Its /readyz meets a revision it does not know. Expand migrations (new tables, nullable or defaulted
columns, indexes built concurrently) leave the old code working, so it stays ready. A contract
migration (dropping or renaming what old code reads) inserts a row here naming the oldest code
revision that works with it; code older than that reports ``code_too_old`` and leaves the load
balancer (docs/operations.md, "Upgrades without downtime").
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import grant_app

revision = "20261206_schema_requirements"
down_revision = "20261206_notifications_kernel"
branch_labels = None
depends_on = None


def upgrade():
    # A new, empty table: nothing to lock for long. Not tenant-owned (about the schema, not a tenant).
    op.create_table(
        "schema_requirements",
        sa.Column("revision", sa.String(64), primary_key=True),
        sa.Column("oldest_code_revision", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    grant_app("schema_requirements", "SELECT")


def downgrade():
    op.drop_table("schema_requirements")
