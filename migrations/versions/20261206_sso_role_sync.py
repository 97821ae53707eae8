"""SSO: a municipality's choice whether roles follow the IdP's groups at every login (issue 23, point 1).

Revision ID: 20261206_sso_role_sync
Revises: 20261206_print_settings
Create Date: 2026-12-06

``roles_from_idp`` false (the default, and what every existing provider keeps): roles are set at the
first login and then managed in the portal. True: at every login the roles the mappings name follow
the groups the IdP sends. A constant default: no table rewrite.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206_sso_role_sync"
down_revision = "20261206_print_settings"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sso_providers", sa.Column("roles_from_idp", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_column("sso_providers", "roles_from_idp")
