"""Award programmes, entries, judges, conflicts, scores.

Revision ID: 0006_awards
Revises: 0005_procurement
Create Date: 2026-11-30

Reserved in the chain so that each domain owns exactly one file; filled by that domain's work.
"""

revision = "0006_awards"
down_revision = "0005_procurement"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
