"""Joint procurement: projects, tiers, quotes, declarations, allocations.

Revision ID: 0005_procurement
Revises: 0004_casebook
Create Date: 2026-11-30

Cross-tenant tables (projects and what belongs to them, pooled totals) are readable by the
application and written only through the services. Declarations, their lines and allocations are
tenant-owned: RLS enabled and forced with the standard tenant policy, plus ``organiser_read`` (the
organiser tenant of the project reads every participant's rows) and, for allocations,
``organiser_insert`` (the organiser writes every participant's share on award).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import TENANT_EXPR, enable_tenant_rls, grant_app, q

revision = "0005_procurement"
down_revision = "0004_casebook"
branch_labels = None
depends_on = None

TENANT_TABLES = ("procurement_declarations", "procurement_declaration_lines", "procurement_allocations")
ORGANISER_EXPR = (
    "EXISTS (SELECT 1 FROM procurement_projects p WHERE p.id = project_id "  # noqa: S608 - constant text
    f"AND p.organiser_tenant_id = {TENANT_EXPR})"
)


def _ts(name, nullable=False, default=True):  # type: ignore[no-untyped-def]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.now() if default else None)


def _project_fk():  # type: ignore[no-untyped-def]
    return sa.Column("project_id", sa.BigInteger, sa.ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                     nullable=False, index=True)


def upgrade():
    op.create_table(
        "procurement_projects",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("organiser_tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        _ts("survey_opens_at", default=False),
        _ts("survey_closes_at", default=False),
        sa.Column("contract_start_fy", sa.Integer, nullable=False),
        sa.Column("contract_end_fy", sa.Integer, nullable=False),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("awarded_quote_id", sa.BigInteger),
        _ts("awarded_at", nullable=True, default=False),
        sa.Column("contract_total_yen", sa.BigInteger),
        sa.Column("standalone_total_yen", sa.BigInteger),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by_user_id", sa.BigInteger),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("status IN ('draft','demand_survey','survey_closed','tendering','awarded','contracted',"
                           "'completed','cancelled')", name="known_status"),
        sa.CheckConstraint("survey_closes_at > survey_opens_at", name="survey_window"),
        sa.CheckConstraint("contract_end_fy >= contract_start_fy", name="contract_period"),
        sa.CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name="cancel_has_reason"),
    )
    op.create_table(
        "procurement_items",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _project_fk(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
    )
    op.create_table(
        "procurement_documents",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _project_fk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        _ts("uploaded_at"),
    )
    op.create_table(
        "procurement_status_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _project_fk(),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("actor_tenant_id", sa.String(6)),
        sa.Column("actor_user_id", sa.BigInteger),
        _ts("occurred_at"),
    )
    op.create_table(
        "procurement_quotes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _project_fk(),
        sa.Column("vendor_name", sa.String(200), nullable=False),
        sa.Column("vendor_identifier", sa.String(13)),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        _ts("created_at"),
    )
    op.create_table(
        "procurement_quote_lines",
        sa.Column("quote_id", sa.BigInteger, sa.ForeignKey("procurement_quotes.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("item_id", sa.BigInteger, sa.ForeignKey("procurement_items.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("setup_fee_yen", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("setup_fee_yen >= 0", name="fee_not_negative"),
    )
    op.create_table(
        "procurement_quote_tiers",
        sa.Column("quote_id", sa.BigInteger, primary_key=True),
        sa.Column("item_id", sa.BigInteger, primary_key=True),
        sa.Column("min_quantity", sa.Integer, primary_key=True),
        sa.Column("unit_price_yen", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(["quote_id", "item_id"], ["procurement_quote_lines.quote_id",
                                                          "procurement_quote_lines.item_id"], ondelete="CASCADE",
                                name="fk_procurement_quote_tiers_quote_line"),
        sa.CheckConstraint("min_quantity >= 1", name="breakpoint_positive"),
        sa.CheckConstraint("unit_price_yen >= 0", name="price_not_negative"),
    )
    op.create_table(
        "procurement_demand_totals",
        sa.Column("project_id", sa.BigInteger, sa.ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("item_id", sa.BigInteger, sa.ForeignKey("procurement_items.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("declared_quantity", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("committed_quantity", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("declared_quantity >= 0 AND committed_quantity >= 0", name="not_negative"),
    )
    op.create_table(
        "procurement_participation",
        sa.Column("project_id", sa.BigInteger, sa.ForeignKey("procurement_projects.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("declared", sa.Integer, nullable=False, server_default="0"),
        sa.Column("committed", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("declared >= 0 AND committed >= 0", name="not_negative"),
    )
    op.create_table(
        "procurement_declarations",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), primary_key=True),
        sa.Column("project_id", sa.BigInteger, sa.ForeignKey("procurement_projects.id"), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="interested"),
        sa.Column("max_budget_yen", sa.BigInteger),
        sa.Column("contact_name", sa.String(100), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("contact_phone", sa.String(30), nullable=False, server_default=""),
        sa.Column("remarks", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by_user_id", sa.BigInteger),
        sa.Column("updated_by_user_id", sa.BigInteger),
        sa.Column("approved_by_user_id", sa.BigInteger),
        _ts("approved_at", nullable=True, default=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("status IN ('interested','pending_approval','committed','withdrawn')",
                           name="known_status"),
        sa.CheckConstraint("max_budget_yen IS NULL OR max_budget_yen >= 0", name="budget_not_negative"),
        sa.CheckConstraint("status <> 'committed' OR approved_at IS NOT NULL", name="committed_is_approved"),
    )
    op.create_index("ix_procurement_declarations_project_id", "procurement_declarations", ["project_id"])
    op.create_table(
        "procurement_declaration_lines",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("project_id", sa.BigInteger, primary_key=True),
        sa.Column("item_id", sa.BigInteger, sa.ForeignKey("procurement_items.id"), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["procurement_declarations.tenant_id",
                                                              "procurement_declarations.project_id"],
                                ondelete="CASCADE",
                                name="fk_procurement_declaration_lines_declaration"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    op.create_table(
        "procurement_allocations",
        sa.Column("tenant_id", sa.String(6), primary_key=True),
        sa.Column("project_id", sa.BigInteger, primary_key=True),
        sa.Column("quote_id", sa.BigInteger, sa.ForeignKey("procurement_quotes.id"), nullable=False),
        sa.Column("total_yen", sa.BigInteger, nullable=False),
        sa.Column("standalone_yen", sa.BigInteger, nullable=False),
        sa.Column("lines", postgresql.JSONB, nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["procurement_declarations.tenant_id",
                                                              "procurement_declarations.project_id"],
                                name="fk_procurement_allocations_declaration"),
        sa.CheckConstraint("total_yen >= 0 AND total_yen <= standalone_yen", name="never_above_standalone"),
    )

    for table in TENANT_TABLES:
        enable_tenant_rls(table)
        op.execute(f"CREATE POLICY organiser_read ON {q(table)} FOR SELECT USING ({ORGANISER_EXPR})")
    op.execute(f"CREATE POLICY organiser_insert ON procurement_allocations FOR INSERT WITH CHECK ({ORGANISER_EXPR})")

    for table in ("procurement_projects", "procurement_status_events", "procurement_quotes",
                  "procurement_participation", "procurement_demand_totals"):
        grant_app(table, "SELECT, INSERT, UPDATE")
    for table in ("procurement_items", "procurement_documents", "procurement_quote_lines", "procurement_quote_tiers"):
        grant_app(table, "SELECT, INSERT, UPDATE, DELETE")
    grant_app("procurement_declarations", "SELECT, INSERT, UPDATE")
    grant_app("procurement_declaration_lines", "SELECT, INSERT, UPDATE, DELETE")
    grant_app("procurement_allocations", "SELECT, INSERT")


def downgrade():
    for table in ("procurement_allocations", "procurement_declaration_lines", "procurement_declarations",
                  "procurement_participation", "procurement_demand_totals", "procurement_quote_tiers",
                  "procurement_quote_lines", "procurement_quotes", "procurement_status_events",
                  "procurement_documents", "procurement_items", "procurement_projects"):
        op.drop_table(table)
