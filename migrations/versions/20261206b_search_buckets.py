"""The casebook search's GIN indexes again, split in eight buckets by id (issue 22 point 4).

Revision ID: 20261206b_search_buckets
Revises: 20261206b_form_drafts
Create Date: 2026-12-06

A GIN index answers ``@@`` only through a bitmap of EVERY matching row, whatever the LIMIT: at
national scale (1,001,135 entries) a common word matches some 400,000 of them and building that
bitmap was most of a search's time. The search needs only the first 501 matches (the capped count
and the facets) and the first 400 strong matches (the ranked candidates), so it asks eight partial
indexes in turn (``id % 8 = k``) under one LIMIT: PostgreSQL's Append stops once the LIMIT is met,
so a common word reads one bucket's eighth of its postings, a rare one eight small bitmaps. The full
indexes stay for the other statements (sort by date, related cases, own cases).
casebook/queries.py (SEARCH_BUCKETS) writes the bucket conditions exactly as the predicates here.
"""
from alembic import op

revision = "20261206b_search_buckets"
down_revision = "20261206b_form_drafts"
branch_labels = None
depends_on = None

BUCKETS = 8
COLUMNS = ("search_vector", "rank_vector")


def upgrade():
    for column in COLUMNS:
        for k in range(BUCKETS):
            op.execute(f"CREATE INDEX ix_casebook_entries_{column}_b{k} ON casebook_entries "
                       f"USING gin ({column}) WHERE id % {BUCKETS} = {k}")


def downgrade():
    for column in COLUMNS:
        for k in range(BUCKETS):
            op.execute(f"DROP INDEX ix_casebook_entries_{column}_b{k}")
