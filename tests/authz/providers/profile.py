"""API tokens for the authorization matrix: own = a token of 青梅市's member, other = of 江東区's member."""
from __future__ import annotations

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tenants.tokens import create_token
from tests.authz.providers import provides
from tests.conftest import OTHER_TENANT, OWN_TENANT


@provides("api_token")
def api_token(owner: str) -> str:
    tenant, email = {"own": (OWN_TENANT, "member@ome.example.jp"),
                     "other": (OTHER_TENANT, "member@koto.example.jp")}[owner]
    bind_tenant(tenant)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    assert user is not None
    bind_tenant(tenant, user.id)
    row, _text = create_token(user, f"matrix-{owner}")
    return str(row.id)
