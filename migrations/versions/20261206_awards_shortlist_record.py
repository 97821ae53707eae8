"""Who shortlisted a programme's entries for the final, and when.

Revision ID: 20261206_awards_shortlist
Revises: 20261206_sso_token_security
Create Date: 2026-12-06

Moving a programme to the final stage is a decision a curator takes on the screening results; the
results page and the exports keep each stage's results and show this record beside the screening
ranking. Nullable columns on a cross-tenant table: no rewrite, no lock beyond the catalogue update.
"""
import sqlalchemy as sa
from alembic import op

revision = "20261206_awards_shortlist"
down_revision = "20261206_sso_token_security"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("award_programmes", sa.Column("shortlisted_at", sa.DateTime(timezone=True)))
    op.add_column("award_programmes", sa.Column("shortlisted_by_user_id", sa.BigInteger))
    op.add_column("award_programmes", sa.Column("shortlisted_by_name", sa.String(200)))


def downgrade():
    for column in ("shortlisted_by_name", "shortlisted_by_user_id", "shortlisted_at"):
        op.drop_column("award_programmes", column)
