"""SSO: per-tenant OpenID Connect providers and identities.

Revision ID: 0003_sso
Revises: 0002_api_tokens
Create Date: 2026-11-30

Reserved in the chain so that each domain owns exactly one file; filled by that domain's work.
"""

revision = "0003_sso"
down_revision = "0002_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
