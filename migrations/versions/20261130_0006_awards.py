"""Award programmes, entries, judges, conflicts, scores.

Revision ID: 0006_awards
Revises: 0005_procurement
Create Date: 2026-11-30

Programmes and everything judges read are cross-tenant tables (the services decide visibility per
object); a municipality's entry drafts and their files are tenant-owned with forced RLS.
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls, grant_app

revision = "0006_awards"
down_revision = "0005_procurement"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id():
    return sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True)


def upgrade():
    op.create_table(
        "award_programmes", _id(),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("entry_opens_at", TS, nullable=False),
        sa.Column("entry_closes_at", TS, nullable=False),
        sa.Column("judging_opens_at", TS, nullable=False),
        sa.Column("judging_closes_at", TS, nullable=False),
        sa.Column("blind", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("comment_mode", sa.String(10), nullable=False, server_default="optional"),
        sa.Column("has_final", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("stage", sa.String(10), nullable=False, server_default="screening"),
        sa.Column("results_published_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("comment_mode IN ('off','optional','required')", name="comment_mode"),
        sa.CheckConstraint("stage IN ('screening','final')", name="stage"),
        sa.CheckConstraint("entry_opens_at < entry_closes_at AND judging_opens_at < judging_closes_at",
                           name="windows"),
    )
    op.create_table(
        "award_categories", _id(),
        sa.Column("programme_id", sa.BigInteger, sa.ForeignKey("award_programmes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "award_criteria", _id(),
        sa.Column("programme_id", sa.BigInteger, sa.ForeignKey("award_programmes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("scale_min", sa.Integer, nullable=False, server_default="1"),
        sa.Column("scale_max", sa.Integer, nullable=False, server_default="5"),
        sa.Column("levels", sa.Text, nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name="weight"),
        sa.CheckConstraint("scale_min >= 0 AND scale_min < scale_max AND scale_max <= 10", name="scale"),
    )
    op.create_table(
        "award_entries",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        _id(),
        sa.Column("programme_id", sa.BigInteger, sa.ForeignKey("award_programmes.id"), nullable=False),
        sa.Column("category_id", sa.BigInteger, sa.ForeignKey("award_categories.id"), nullable=False),
        sa.Column("case_id", sa.BigInteger),
        sa.Column("title", sa.String(200), nullable=False),
        *[sa.Column(name, sa.Text, nullable=False, server_default="")
          for name in ("summary", "background", "activities", "system", "effects", "ingenuity")],
        sa.Column("status", sa.String(12), nullable=False, server_default="draft"),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("approved_by", sa.BigInteger),
        sa.Column("submission_id", sa.BigInteger),
        sa.Column("requested_at", TS),
        sa.Column("submitted_at", TS),
        sa.Column("withdrawn_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "created_by"], ["users.tenant_id", "users.id"],
                                name="fk_award_entries_tenant_id_users"),
        sa.CheckConstraint("status IN ('draft','pending','submitted','withdrawn')", name="status"),
    )
    op.create_index("ix_award_entries_programme", "award_entries", ["tenant_id", "programme_id"])
    op.create_table(
        "award_entry_files",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        _id(),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["tenant_id", "entry_id"], ["award_entries.tenant_id", "award_entries.id"],
                                ondelete="CASCADE", name="fk_award_entry_files_tenant_id_award_entries"),
    )
    op.create_table(
        "award_submissions", _id(),
        sa.Column("programme_id", sa.BigInteger, sa.ForeignKey("award_programmes.id"), nullable=False, index=True),
        sa.Column("category_id", sa.BigInteger, sa.ForeignKey("award_categories.id"), nullable=False),
        sa.Column("reference_no", sa.Integer, nullable=False),
        sa.Column("entrant_code", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        *[sa.Column(name, sa.Text, nullable=False, server_default="")
          for name in ("summary", "background", "activities", "system", "effects", "ingenuity")],
        sa.Column("submitted_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("withdrawn_at", TS),
        sa.Column("shortlisted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sent_to_casebook_case_id", sa.BigInteger),
        sa.UniqueConstraint("programme_id", "reference_no", name="uq_award_submissions_programme_id"),
    )
    op.create_table(
        "award_submission_files", _id(),
        sa.Column("submission_id", sa.BigInteger, sa.ForeignKey("award_submissions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "award_judge_pool",
        sa.Column("judge_tenant", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("judge_user_id", sa.BigInteger, primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "award_judges", _id(),
        sa.Column("programme_id", sa.BigInteger, sa.ForeignKey("award_programmes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("judge_tenant", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("judge_user_id", sa.BigInteger, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.UniqueConstraint("programme_id", "judge_tenant", "judge_user_id", name="uq_award_judges_programme_id"),
    )
    op.create_table(
        "award_assignments", _id(),
        sa.Column("judge_id", sa.BigInteger, sa.ForeignKey("award_judges.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("category_id", sa.BigInteger, sa.ForeignKey("award_categories.id", ondelete="CASCADE")),
        sa.Column("submission_id", sa.BigInteger, sa.ForeignKey("award_submissions.id", ondelete="CASCADE")),
        sa.CheckConstraint("(category_id IS NULL) <> (submission_id IS NULL)", name="one_target"),
    )
    op.create_table(
        "award_recusals", _id(),
        sa.Column("judge_id", sa.BigInteger, sa.ForeignKey("award_judges.id", ondelete="CASCADE"), nullable=False),
        sa.Column("submission_id", sa.BigInteger, sa.ForeignKey("award_submissions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("judge_id", "submission_id", name="uq_award_recusals_judge_id"),
    )
    op.create_table(
        "award_score_sheets", _id(),
        sa.Column("judge_id", sa.BigInteger, sa.ForeignKey("award_judges.id", ondelete="CASCADE"), nullable=False),
        sa.Column("submission_id", sa.BigInteger, sa.ForeignKey("award_submissions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("is_final", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("submitted_at", TS),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("judge_id", "submission_id", "stage", name="uq_award_score_sheets_judge_id"),
    )
    op.create_table(
        "award_scores",
        sa.Column("sheet_id", sa.BigInteger, sa.ForeignKey("award_score_sheets.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("criterion_id", sa.BigInteger, sa.ForeignKey("award_criteria.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )

    for table in ("award_entries", "award_entry_files"):
        enable_tenant_rls(table)
        grant_app(table)
    for table in ("award_programmes", "award_categories", "award_criteria", "award_submissions",
                  "award_submission_files", "award_judge_pool", "award_judges", "award_assignments",
                  "award_recusals", "award_score_sheets", "award_scores"):
        grant_app(table)


def downgrade():
    for table in ("award_scores", "award_score_sheets", "award_recusals", "award_assignments", "award_judges",
                  "award_judge_pool", "award_submission_files", "award_submissions", "award_entry_files",
                  "award_entries", "award_criteria", "award_categories", "award_programmes"):
        op.drop_table(table)
