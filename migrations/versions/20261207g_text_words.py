"""The published texts' analysed words, so that a search cuts its snippets without SudachiPy (issue 22 point 4).

Revision ID: 20261207g_text_words
Revises: 20261207g_counts_functions
Create Date: 2026-12-07

A search new to the worker analysed the title and summary (or body) of each of its twenty hits with SudachiPy to
mark the title and cut the snippet: most of the request's Python. ``casebook_text_words`` keeps each published text's
words, by the digest of the text (``casebook.text_words``), written when the text is published or edited and read
by the hits' statement. No tenant_id and no RLS, like ``casebook_entries``: only published texts come here. The
application role reads it and adds to it (curation's publish and edit); it never updates or deletes.

Filled here for the entries published before: each distinct text analysed once (``text_words.fill_missing``). The
entries are not rewritten. Benchmark data (Tokyo 124,060 entries, national 1,001,135) shares its texts: about
130,000 distinct texts at Tokyo scale, fewer at national; see docs/casebook.md for the time it takes.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from tenants.rls import grant_app

revision = "20261207g_text_words"
down_revision = "20261207g_counts_functions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "casebook_text_words",
        sa.Column("digest", UUID(as_uuid=False), primary_key=True),
        sa.Column("words", sa.Text, nullable=False),
    )
    grant_app("casebook_text_words", "SELECT, INSERT")
    from casebook.text_words import fill_missing

    cursor = op.get_bind().connection.cursor()
    try:
        fill_missing(cursor, echo=print)
    finally:
        cursor.close()


def downgrade():
    op.drop_table("casebook_text_words")
