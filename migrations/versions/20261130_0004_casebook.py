"""Cases, versions, attachments, curation, casebook, search.

Revision ID: 0004_casebook
Revises: 0003_sso
Create Date: 2026-11-30

Private tables (cases, case_versions, case_attachments, notifications) are tenant-owned with the
standard RLS policy. The casebook's cross-tenant tables have their own policies:
- casebook_submissions: the source municipality and TMG (the curators' tenant) only;
- casebook_entries: no row-level security, on purpose. It holds only what was published deliberately
  (copied after the municipality's sign-off and a curator's decision), and PostgreSQL never uses an
  index for a non-LEAKPROOF operator such as tsvector @@ tsquery under an RLS policy: with a policy
  the casebook search would scan every row. Services gate every write (curators only);
- casebook_synonyms: anyone with a bound tenant reads; services gate the writes;
- casebook_adoptions / questions / answers: everyone with a bound tenant reads, a row is written
  only under the tenant it names (adopter, asker, answerer).
Search: a precomputed tsvector of SudachiPy-normalised tokens (built by casebook.search, no
PostgreSQL parser involved) with a GIN index on cases and entries.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import TENANT_EXPR, enable_tenant_rls, grant_app, q

revision = "0004_casebook"
down_revision = "0003_sso"
branch_labels = None
depends_on = None

TMG = "'130001'"


def _content_columns() -> list[sa.Column]:
    return [
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("problem", sa.Text, nullable=False, server_default=""),
        sa.Column("approach", sa.Text, nullable=False, server_default=""),
        sa.Column("outcomes", sa.Text, nullable=False, server_default=""),
        sa.Column("themes", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("tools", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("fiscal_year", sa.Integer),
        sa.Column("cost_jpy", sa.BigInteger),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("stage", sa.String(20), nullable=False, server_default="implemented"),
        sa.Column("kpis", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("vendors", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("products", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("ordinances", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("lessons", sa.Text, nullable=False, server_default=""),
        sa.Column("replication_conditions", sa.Text, nullable=False, server_default=""),
        sa.Column("contact", sa.Text, nullable=False, server_default=""),
        sa.Column("successor_contact", sa.Text, nullable=False, server_default=""),
        sa.Column("search_vector", postgresql.TSVECTOR),
    ]


def _now() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade():
    op.create_table(
        "cases",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("external_id", sa.String(100)),
        *_content_columns(),
        sa.Column("release_state", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("origin", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_by", sa.BigInteger),
        sa.Column("updated_by", sa.BigInteger),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("stage IN ('idea','pilot','implemented','spreading')", name="known_stage"),
        sa.CheckConstraint("release_state IN ('draft','proposed','approved')", name="known_release_state"),
        sa.CheckConstraint("cost_jpy IS NULL OR cost_jpy >= 0", name="cost_not_negative"),
    )
    op.create_index("ix_cases_search_vector", "cases", ["search_vector"], postgresql_using="gin")
    op.create_index("ix_cases_tenant_updated", "cases", ["tenant_id", "updated_at"])
    op.create_index("uq_cases_tenant_external_id", "cases", ["tenant_id", "external_id"], unique=True,
                    postgresql_where=sa.text("external_id IS NOT NULL"))

    op.create_table(
        "case_versions",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("case_id", sa.BigInteger, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_by", sa.BigInteger),
        _now(),
        sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE",
                                name="fk_case_versions_tenant_id_cases"),
    )
    op.create_table(
        "case_attachments",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.BigInteger, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_by", sa.BigInteger),
        _now(),
        sa.ForeignKeyConstraint(["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE",
                                name="fk_case_attachments_tenant_id_cases"),
    )
    op.create_index("ix_case_attachments_case", "case_attachments", ["tenant_id", "case_id"])
    op.create_table(
        "notifications",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("url", sa.String(500), nullable=False, server_default=""),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        _now(),
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE",
                                name="fk_notifications_tenant_id_users"),
    )
    op.create_index("ix_notifications_user", "notifications", ["tenant_id", "user_id", "read_at"])
    for table in ("cases", "case_versions", "case_attachments", "notifications"):
        enable_tenant_rls(table)
    grant_app("cases", "SELECT, INSERT, UPDATE")
    grant_app("case_versions", "SELECT, INSERT")
    grant_app("case_attachments", "SELECT, INSERT, DELETE")
    grant_app("notifications", "SELECT, INSERT, UPDATE")

    op.create_table(
        "casebook_submissions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("source_tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("source_case_id", sa.BigInteger, nullable=False),
        sa.Column("source_version", sa.Integer, nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("origin", sa.String(200), nullable=False, server_default=""),
        sa.Column("approved_by", sa.BigInteger),
        sa.Column("decided_by", sa.BigInteger),
        sa.Column("entry_id", sa.BigInteger),
        _now(),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('queued','changes_requested','published','superseded')",
                           name="known_status"),
    )
    op.create_index("ix_casebook_submissions_status", "casebook_submissions", ["status", "created_at"])
    op.create_index("ix_casebook_submissions_source", "casebook_submissions", ["source_tenant_id", "source_case_id"])

    op.create_table(
        "casebook_entries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("source_tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("source_case_id", sa.BigInteger),
        sa.Column("source_version", sa.Integer),
        sa.Column("external_id", sa.String(100)),
        *_content_columns(),
        sa.Column("status", sa.String(20), nullable=False, server_default="published"),
        sa.Column("adoption_count", sa.Integer, nullable=False, server_default="0"),
        # Title, summary, themes and tools only: small enough to stay inline (no TOAST), it ranks
        # the strong matches cheaply and finds them through its own GIN index.
        sa.Column("rank_vector", postgresql.TSVECTOR),
        sa.Column("published_by", sa.BigInteger),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('published','retired')", name="known_status"),
    )
    op.create_index("ix_casebook_entries_search_vector", "casebook_entries", ["search_vector"],
                    postgresql_using="gin")
    op.create_index("ix_casebook_entries_rank_vector", "casebook_entries", ["rank_vector"],
                    postgresql_using="gin")
    # The sort orders of the casebook, tie-breaker included, so a page is read straight off the index.
    op.create_index("ix_casebook_entries_published", "casebook_entries",
                    ["status", sa.text("published_at DESC"), sa.text("id DESC")])
    op.create_index("ix_casebook_entries_adopted", "casebook_entries",
                    ["status", sa.text("adoption_count DESC"), sa.text("published_at DESC"), sa.text("id DESC")])
    op.create_index("ix_casebook_entries_themes", "casebook_entries", ["themes"], postgresql_using="gin")
    op.create_index("ix_casebook_entries_tools", "casebook_entries", ["tools"], postgresql_using="gin")
    op.create_index("uq_casebook_entries_source", "casebook_entries", ["source_tenant_id", "source_case_id"],
                    unique=True)
    op.create_index("ix_casebook_entries_external_id", "casebook_entries", ["external_id"])

    op.create_table(
        "casebook_adoptions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, sa.ForeignKey("casebook_entries.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("adopter_tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("outcome", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.BigInteger),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("entry_id", "adopter_tenant_id", name="uq_casebook_adoptions_entry_adopter"),
        sa.CheckConstraint("status IN ('planned','in_progress','done')", name="known_status"),
    )
    op.create_index("ix_casebook_adoptions_adopter", "casebook_adoptions", ["adopter_tenant_id"])
    op.create_table(
        "casebook_questions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, sa.ForeignKey("casebook_entries.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("asker_tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("asker_user_id", sa.BigInteger, nullable=False),
        sa.Column("asker_name", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _now(),
    )
    op.create_index("ix_casebook_questions_entry", "casebook_questions", ["entry_id"])
    op.create_table(
        "casebook_answers",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("question_id", sa.BigInteger, sa.ForeignKey("casebook_questions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("answerer_tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("answerer_user_id", sa.BigInteger, nullable=False),
        sa.Column("answerer_name", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _now(),
    )
    op.create_index("ix_casebook_answers_question", "casebook_answers", ["question_id"])
    op.create_table(
        "casebook_synonyms",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("terms", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("created_by", sa.BigInteger),
        _now(),
    )

    def policy(table: str, using: str, check: str) -> None:
        op.execute(f"ALTER TABLE {q(table)} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {q(table)} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_scope ON {q(table)} USING ({using}) WITH CHECK ({check})")

    bound = f"{TENANT_EXPR} IS NOT NULL"
    source_or_tmg = f"(source_tenant_id = {TENANT_EXPR} OR {TENANT_EXPR} = {TMG})"
    policy("casebook_submissions", source_or_tmg, source_or_tmg)
    policy("casebook_synonyms", bound, bound)
    policy("casebook_adoptions", bound, f"adopter_tenant_id = {TENANT_EXPR}")
    policy("casebook_questions", bound, f"asker_tenant_id = {TENANT_EXPR}")
    policy("casebook_answers", bound, f"answerer_tenant_id = {TENANT_EXPR}")
    grant_app("casebook_submissions", "SELECT, INSERT, UPDATE")
    grant_app("casebook_entries", "SELECT, INSERT, UPDATE")
    grant_app("casebook_adoptions", "SELECT, INSERT, UPDATE")
    grant_app("casebook_questions", "SELECT, INSERT")
    grant_app("casebook_answers", "SELECT, INSERT")
    grant_app("casebook_synonyms", "SELECT, INSERT, UPDATE, DELETE")


def downgrade():
    for table in ("casebook_synonyms", "casebook_answers", "casebook_questions", "casebook_adoptions",
                  "casebook_entries", "casebook_submissions", "notifications", "case_attachments",
                  "case_versions", "cases"):
        op.drop_table(table)
