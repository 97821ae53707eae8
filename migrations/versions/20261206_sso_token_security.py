"""Security review (issue 15): scopes of API tokens; SSO settings the tenant admin cannot change.

Revision ID: 20261206_sso_token_security
Revises: 20261206_schema_requirements
Create Date: 2026-12-06

- ``api_tokens.scopes``: what a token may do on /api/v1 (``casebook:read``, ``cases:write`` …).
  Tokens that exist already could do everything on the API: they keep every API scope (they lose
  only what no token may do any more: the web pages and forms).
- ``sso_providers.operator_role_mapping``: the operators' group → role mappings (the only source of
  TMG-only roles), bound to the issuer they were set for, ``{"issuer": …, "mapping": {…}}``. The
  tenant admin's form edits ``role_mapping`` only, so it can no longer delete them. Entries of
  ``role_mapping`` that name a TMG-only role move there.
- ``sso_providers.verified_domains``: e-mail domains the operators verified for the tenant (an
  existing account may be linked by e-mail only in one of them).
- ``sso_providers.token_endpoint_pin``: the origin of the token endpoint the stored client secret
  was first sent to; another origin later clears the secret instead of sending it there.

The rows are rewritten with row security relaxed for the owner for the duration of the statement
(FORCE is restored at once): this migration has no tenant bound.
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261206_sso_token_security"
down_revision = "20261206_schema_requirements"
branch_labels = None
depends_on = None

ALL_SCOPES = ["casebook:read", "casebook:write", "cases:read", "cases:write", "procurement:read",
              "procurement:write", "awards:read", "awards:write"]
TMG_ONLY_ROLES = {"curator", "operator", "supporter"}


def upgrade():
    op.add_column("api_tokens", sa.Column("scopes", postgresql.ARRAY(sa.String(40)), nullable=False,
                                          server_default="{}"))
    op.execute("ALTER TABLE api_tokens NO FORCE ROW LEVEL SECURITY")
    op.execute(sa.text("UPDATE api_tokens SET scopes = :scopes").bindparams(
        sa.bindparam("scopes", ALL_SCOPES, type_=postgresql.ARRAY(sa.String(40)))))
    op.execute("ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY")

    op.add_column("sso_providers", sa.Column("operator_role_mapping", postgresql.JSONB, nullable=False,
                                             server_default="{}"))
    op.add_column("sso_providers", sa.Column("verified_domains", postgresql.ARRAY(sa.String(253)), nullable=False,
                                             server_default="{}"))
    op.add_column("sso_providers", sa.Column("token_endpoint_pin", sa.String(500)))
    bind = op.get_bind()
    op.execute("ALTER TABLE sso_providers NO FORCE ROW LEVEL SECURITY")
    rows = bind.execute(sa.text("SELECT tenant_id, issuer, role_mapping FROM sso_providers")).all()
    for tenant_id, issuer, mapping in rows:
        mapping = mapping or {}
        operator = {group: roles for group, roles in mapping.items() if set(roles) & TMG_ONLY_ROLES}
        if not operator:
            continue
        own = {group: roles for group, roles in mapping.items() if group not in operator}
        bind.execute(sa.text("UPDATE sso_providers SET role_mapping = CAST(:own AS jsonb), "
                             "operator_role_mapping = CAST(:operator AS jsonb) WHERE tenant_id = :tenant"),
                     {"own": json.dumps(own), "operator": json.dumps({"issuer": issuer, "mapping": operator}),
                      "tenant": tenant_id})
    op.execute("ALTER TABLE sso_providers FORCE ROW LEVEL SECURITY")


def downgrade():
    bind = op.get_bind()
    op.execute("ALTER TABLE sso_providers NO FORCE ROW LEVEL SECURITY")
    rows = bind.execute(sa.text("SELECT tenant_id, role_mapping, operator_role_mapping FROM sso_providers")).all()
    for tenant_id, mapping, operator in rows:
        merged = {**(mapping or {}), **((operator or {}).get("mapping") or {})}
        bind.execute(sa.text("UPDATE sso_providers SET role_mapping = CAST(:merged AS jsonb) WHERE tenant_id = :t"),
                     {"merged": json.dumps(merged), "t": tenant_id})
    op.execute("ALTER TABLE sso_providers FORCE ROW LEVEL SECURITY")
    op.drop_column("sso_providers", "token_endpoint_pin")
    op.drop_column("sso_providers", "verified_domains")
    op.drop_column("sso_providers", "operator_role_mapping")
    op.drop_column("api_tokens", "scopes")
