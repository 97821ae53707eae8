"""The organiser of a procurement is a person with the organising role, not the whole tenant.

Revision ID: 20261206_proc_organiser_person
Revises: 20261206_workload
Create Date: 2026-12-06

``organiser_read`` (and ``organiser_insert`` on allocations) admitted every session of the
organising tenant: a TMG judge or operator, or any member of a municipality that leads a project,
read every participant's budget ceiling, quantities and cost share. The policies now also require
the bound user (``app.user_id``) to hold the organising role in that tenant — curator for TMG's
projects, tenant admin for a lead municipality's — the same rule as ``procurement.access``.
Everyone else of the organising tenant sees only the pooled totals (cross-tenant tables).
"""
from alembic import op

from tenants.rls import TENANT_EXPR, USER_EXPR, q

revision = "20261206_proc_organiser_person"
down_revision = "20261206_workload"
branch_labels = None
depends_on = None

TENANT_TABLES = ("procurement_declarations", "procurement_declaration_lines", "procurement_allocations")
OLD_EXPR = (
    "EXISTS (SELECT 1 FROM procurement_projects p WHERE p.id = project_id "
    f"AND p.organiser_tenant_id = {TENANT_EXPR})"
)
# memberships is itself under the tenant policy; the organiser's own tenant is the bound one, so
# the subquery sees exactly the acting user's memberships there.
NEW_EXPR = (
    "EXISTS (SELECT 1 FROM procurement_projects p JOIN memberships m ON m.tenant_id = p.organiser_tenant_id "
    f"WHERE p.id = project_id AND p.organiser_tenant_id = {TENANT_EXPR} "
    f"AND m.user_id = ({USER_EXPR})::bigint "
    "AND m.role = CASE WHEN p.organiser_tenant_id = '130001' THEN 'curator' ELSE 'tenant_admin' END)"
)


def _replace(expr: str) -> None:
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS organiser_read ON {q(table)}")
        op.execute(f"CREATE POLICY organiser_read ON {q(table)} FOR SELECT USING ({expr})")
    op.execute("DROP POLICY IF EXISTS organiser_insert ON procurement_allocations")
    op.execute(f"CREATE POLICY organiser_insert ON procurement_allocations FOR INSERT WITH CHECK ({expr})")


def upgrade():
    _replace(NEW_EXPR)


def downgrade():
    _replace(OLD_EXPR)
