"""SSO: private_key_jwt client authentication, the portal's signing keys, the secret's expiry date
(issue 23, point 4).

Revision ID: 20261206b_sso_client_auth
Revises: 20261206b_sso_provider_change
Create Date: 2026-12-06

``sso_providers`` gains the token endpoint's client authentication method (every existing provider
keeps ``client_secret_basic``), the client secret's expiry date and which reminder was sent for it.
``sso_signing_keys`` holds the portal's own keys (portal-wide, not tenant-owned): the application role
reads them (to sign assertions and serve the JWKS); only the owner (``flask sso keys``) writes.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import grant_app

revision = "20261206b_sso_client_auth"
down_revision = "20261206b_sso_provider_change"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sso_providers", sa.Column("token_auth_method", sa.String(30), nullable=False,
                                             server_default="client_secret_basic"))
    op.add_column("sso_providers", sa.Column("client_secret_expires_on", sa.Date, nullable=True))
    op.add_column("sso_providers", sa.Column("secret_expiry_reminded", sa.Integer, nullable=True))
    # NOT VALID, then VALIDATE: checking the existing rows takes no lock that blocks writes
    # (tests/ops/test_upgrades.py). The name is the one the naming convention gives
    # op.create_check_constraint("ck_sso_providers_token_auth_method"), which the downgrade drops.
    name = "ck_sso_providers_ck_sso_providers_token_auth_method"
    op.execute(f"ALTER TABLE sso_providers ADD CONSTRAINT {name} "
               "CHECK (token_auth_method IN ('client_secret_basic', 'private_key_jwt')) NOT VALID")
    op.execute(f"ALTER TABLE sso_providers VALIDATE CONSTRAINT {name}")
    op.create_table(
        "sso_signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("alg", sa.String(10), nullable=False, server_default="RS256"),
        sa.Column("public_jwk", postgresql.JSONB, nullable=False),
        sa.Column("private_key_enc", sa.Text, nullable=False),
        sa.Column("certificate_pem", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("activates_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    grant_app("sso_signing_keys", "SELECT")


def downgrade():
    op.drop_table("sso_signing_keys")
    op.drop_constraint("ck_sso_providers_token_auth_method", "sso_providers", type_="check")
    op.drop_column("sso_providers", "secret_expiry_reminded")
    op.drop_column("sso_providers", "client_secret_expires_on")
    op.drop_column("sso_providers", "token_auth_method")
