"""SSO: a municipality's MFA policy (issue 23, point 6).

Revision ID: 20261206_sso_mfa
Revises: 20261206_sso_role_sync
Create Date: 2026-12-06

``required_acr``: space-separated ``acr`` values, one of which the ID token must carry (also sent as
``acr_values`` in the authorization request); ``require_mfa_amr``: the ID token's ``amr`` must name
a second factor (mfa, otp, hwk, …). Both empty/false for every existing provider.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206_sso_mfa"
down_revision = "20261206_sso_role_sync"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sso_providers", sa.Column("required_acr", sa.String(500), nullable=False, server_default=""))
    op.add_column("sso_providers", sa.Column("require_mfa_amr", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_column("sso_providers", "require_mfa_amr")
    op.drop_column("sso_providers", "required_acr")
