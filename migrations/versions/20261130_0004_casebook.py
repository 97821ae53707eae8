"""Cases, versions, attachments, curation, casebook, search.

Revision ID: 0004_casebook
Revises: 0003_sso
Create Date: 2026-11-30

Reserved in the chain so that each domain owns exactly one file; filled by that domain's work.
"""

revision = "0004_casebook"
down_revision = "0003_sso"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
