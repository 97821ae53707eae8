"""SSO: deactivate a person not seen at the municipality's provider for N days (issue 23, point 2).

Revision ID: 20261206b_sso_inactivity
Revises: 20261206b_sso_client_auth
Create Date: 2026-12-06

``inactivity_days`` 90 for every provider (0 = never): the daily job (``flask notifications remind``)
deactivates the accounts not seen (no login) for that long. A constant default: no table rewrite.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206b_sso_inactivity"
down_revision = "20261206b_sso_client_auth"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sso_providers", sa.Column("inactivity_days", sa.Integer, nullable=False, server_default="90"))


def downgrade():
    op.drop_column("sso_providers", "inactivity_days")
