"""Joint procurement: projects, tiers, quotes, declarations, allocations.

Revision ID: 0005_procurement
Revises: 0004_casebook
Create Date: 2026-11-30

Reserved in the chain so that each domain owns exactly one file; filled by that domain's work.
"""

revision = "0005_procurement"
down_revision = "0004_casebook"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
