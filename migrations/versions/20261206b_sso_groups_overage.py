"""SSO: the host a municipality lets the portal ask for the groups of an Entra ID overage token
(issue 23, point 5).

Revision ID: 20261206b_sso_groups_overage
Revises: 20261206_idempotency_keys
Create Date: 2026-12-06

``groups_overage_host`` "" (every existing provider): an overage token is refused as before.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206b_sso_groups_overage"
down_revision = "20261206_idempotency_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sso_providers", sa.Column("groups_overage_host", sa.String(260), nullable=False,
                                             server_default=""))


def downgrade():
    op.drop_column("sso_providers", "groups_overage_host")
