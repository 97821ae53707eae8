"""The search's own narrow copy of each published entry, partitioned in sixteen buckets (issue 22 point 4).

Revision ID: 20261206c_search_rows
Revises: 20261206c_casebook_generation
Create Date: 2026-12-06

The search reads, for the first 501 matches (the capped count and the facets) and the first 400
strong matches (the ranked candidates), a few columns of each: themes, tools, fiscal year, stage,
municipality, publication date and the small rank vector. In ``casebook_entries`` a row is 3 KB
(four per page): every match cost a page of its own, some 900 heap pages per search, most of a
search's time once the bucket indexes (20261206b_search_buckets) had bounded the GIN work.

``casebook_search_rows`` holds only those columns, for published entries only, in sixteen list
partitions by ``entry_id % 16``: a partition's rows lie together (some eleven to a page, the rank
vector inline), so a common word's first 501 matches sit on a few dozen pages of partition 0. The
big search vector is stored out of line (``toast_tuple_target``): only its GIN index is read. The
search asks the partitions in turn under its LIMIT (PostgreSQL's Append stops at the one that fills
it), as it asked the bucket indexes before.

Kept by statement triggers on ``casebook_entries`` (transition tables: a bulk INSERT ... SELECT is one
INSERT here), run as the owner (SECURITY DEFINER), so whoever publishes, edits or retires an entry
keeps its search row right and the application role may only read the table. No tenant_id and no
RLS, like ``casebook_entries``: it holds only what was deliberately published.
"""
from alembic import op

from tenants.rls import grant_app

revision = "20261206c_search_rows"
down_revision = "20261206c_casebook_generation"
branch_labels = None
depends_on = None

PARTITIONS = 16  # casebook/queries.py SEARCH_PARTITIONS
COLUMNS = "entry_id, bucket, source_tenant_id, fiscal_year, stage, published_at, themes, tools, rank_vector, search_vector"


def _select(source: str) -> str:
    return (f"SELECT {source}.id, ({source}.id % {PARTITIONS})::smallint, {source}.source_tenant_id, "
            f"{source}.fiscal_year, {source}.stage, {source}.published_at, {source}.themes, {source}.tools, "
            f"{source}.rank_vector, {source}.search_vector")


# What a search row copies: an update that changes none of these (an adoption counted) leaves it alone.
_CHANGED = ("(o.status, o.source_tenant_id, o.fiscal_year, o.stage, o.published_at, o.themes, o.tools, "
            "o.rank_vector, o.search_vector) IS DISTINCT FROM (n.status, n.source_tenant_id, n.fiscal_year, "
            "n.stage, n.published_at, n.themes, n.tools, n.rank_vector, n.search_vector)")


def upgrade():
    op.execute(f"""
        CREATE TABLE casebook_search_rows (
            entry_id bigint NOT NULL,
            bucket smallint NOT NULL,
            source_tenant_id varchar(6) NOT NULL,
            fiscal_year integer,
            stage varchar(20) NOT NULL,
            published_at timestamptz NOT NULL,
            themes text[] NOT NULL,
            tools text[] NOT NULL,
            rank_vector tsvector,
            search_vector tsvector,
            CONSTRAINT pk_casebook_search_rows PRIMARY KEY (bucket, entry_id),
            CONSTRAINT ck_casebook_search_rows_bucket CHECK (bucket = entry_id % {PARTITIONS})
        ) PARTITION BY LIST (bucket)""")
    # Read with every row: kept in the row (compressed at most). The search vector is only indexed.
    for column in ("themes", "tools", "rank_vector"):
        op.execute(f"ALTER TABLE casebook_search_rows ALTER COLUMN {column} SET STORAGE MAIN")
    for k in range(PARTITIONS):
        op.execute(f"CREATE TABLE casebook_search_rows_{k} PARTITION OF casebook_search_rows "
                   f"FOR VALUES IN ({k}) WITH (toast_tuple_target = 128)")
    op.execute(f"INSERT INTO casebook_search_rows ({COLUMNS}) {_select('e')} FROM casebook_entries e "
               "WHERE e.status = 'published' ORDER BY e.id")
    op.execute("CREATE INDEX ix_casebook_search_rows_search_vector ON casebook_search_rows USING gin (search_vector)")
    op.execute("CREATE INDEX ix_casebook_search_rows_rank_vector ON casebook_search_rows USING gin (rank_vector)")
    # A chosen theme or tool may be rare beside a common word: the planner can AND their bitmaps.
    op.execute("CREATE INDEX ix_casebook_search_rows_themes ON casebook_search_rows USING gin (themes)")
    op.execute("CREATE INDEX ix_casebook_search_rows_tools ON casebook_search_rows USING gin (tools)")
    op.execute(f"""
        CREATE FUNCTION casebook_search_rows_sync() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO casebook_search_rows ({COLUMNS})
                {_select('n')} FROM new_rows n WHERE n.status = 'published';
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM casebook_search_rows s USING old_rows o
                WHERE s.bucket = o.id % {PARTITIONS} AND s.entry_id = o.id;
            ELSE
                DELETE FROM casebook_search_rows s USING old_rows o JOIN new_rows n ON n.id = o.id
                WHERE s.bucket = o.id % {PARTITIONS} AND s.entry_id = o.id AND {_CHANGED};
                INSERT INTO casebook_search_rows ({COLUMNS})
                {_select('n')} FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.status = 'published' AND {_CHANGED};
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION casebook_search_rows_sync() FROM PUBLIC")
    for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                          ("DELETE", "OLD TABLE AS old_rows")):
        op.execute(f"CREATE TRIGGER tg_casebook_entries_search_rows_{event.lower()} AFTER {event} ON casebook_entries "
                   f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION casebook_search_rows_sync()")
    grant_app("casebook_search_rows", "SELECT")
    # The facets join each counted row's municipality for its kind and region. With the search's
    # enable_seqscan = off, the primary key's index scan read the 1,742 municipalities' heap pages in
    # code order, some 1,050 buffers at national scale, more than the search rows themselves; this
    # index answers from itself (an index-only scan). Built concurrently: tenants is written meanwhile.
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_tenants_code_kind_region "
                   "ON tenants (code) INCLUDE (kind, region)")


def downgrade():
    op.execute("DROP INDEX ix_tenants_code_kind_region")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER tg_casebook_entries_search_rows_{event} ON casebook_entries")
    op.execute("DROP FUNCTION casebook_search_rows_sync()")
    op.execute("DROP TABLE casebook_search_rows")
