"""Row-level security plumbing used by migrations: one policy shape for every tenant-owned table.

The policy compares ``tenant_id`` with the transaction-local setting ``app.tenant_id``. When no
tenant is bound the setting is '' (or unset), NULLIF turns it into NULL, and the comparison is never
true: no rows are visible and none can be written.
"""
from __future__ import annotations

from alembic import op
from flask import current_app

TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')"
USER_EXPR = "NULLIF(current_setting('app.user_id', true), '')"


def app_role() -> str:
    """The application role: the user named in DATABASE_URL."""
    role = current_app.config.get("APP_DB_ROLE") or ""
    if not role or not role.replace("_", "").isalnum():
        raise RuntimeError(f"invalid application role name {role!r} (from DATABASE_URL)")
    return role


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def enable_tenant_rls(table: str) -> None:
    """ENABLE + FORCE row-level security with the standard tenant policy (USING and WITH CHECK)."""
    op.execute(f"ALTER TABLE {q(table)} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {q(table)} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {q(table)} "
        f"USING (tenant_id = {TENANT_EXPR}) WITH CHECK (tenant_id = {TENANT_EXPR})"
    )


def disable_tenant_rls(table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {q(table)}")
    op.execute(f"ALTER TABLE {q(table)} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {q(table)} DISABLE ROW LEVEL SECURITY")


def grant_app(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    """Grant the application role exactly the given privileges on one table."""
    op.execute(f"GRANT {privileges} ON {q(table)} TO {q(app_role())}")


def revoke_app(table: str) -> None:
    op.execute(f"REVOKE ALL ON {q(table)} FROM {q(app_role())}")
