"""The published casebook's vocabulary, for "did you mean" on a search without a result (issue 22 point 3).

Revision ID: 20261206b_casebook_vocabulary
Revises: 20261206b_sso_groups_overage
Create Date: 2026-12-06

One row per indexed word (its lexeme as the search stores it, and a spelling as written) of the
published casebook only: words of a municipality's private cases never get here, and a suggestion
is shown only while some published entry still contains it (checked at query time), so a retired
case's words are not offered either. No tenant_id and no RLS, like casebook_entries: everything in
it is already public to every logged-in user. pg_trgm (a trusted extension) gives the nearest
words with its GIN index; it handles Japanese characters under the database's C.UTF-8 locale.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import grant_app

revision = "20261206b_casebook_vocabulary"
down_revision = "20261206b_sso_groups_overage"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "casebook_vocabulary",
        sa.Column("lexeme", sa.Text, primary_key=True),
        sa.Column("surface", sa.Text, nullable=False),
    )
    op.execute("CREATE INDEX ix_casebook_vocabulary_trgm ON casebook_vocabulary USING gin (lexeme gin_trgm_ops)")
    # Entries published before this revision: their lexemes (the spelling is the lexeme itself).
    op.execute("""INSERT INTO casebook_vocabulary (lexeme, surface)
                  SELECT word, word FROM ts_stat('SELECT rank_vector FROM casebook_entries
                                                  WHERE status = ''published'' AND rank_vector IS NOT NULL')
                  ON CONFLICT DO NOTHING""")
    grant_app("casebook_vocabulary", "SELECT, INSERT, UPDATE")


def downgrade():
    op.drop_table("casebook_vocabulary")
    # pg_trgm stays: dropping an extension another object may use is not this revision's business.
