"""Objects of the tenants domain for the authorization matrix."""
from __future__ import annotations

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tests.authz.providers import provides
from tests.conftest import OTHER_TENANT, OWN_TENANT


@provides("user")
def user(owner: str) -> str:
    """A member of 青梅市 (own) or 江東区 (other)."""
    tenant = {"own": OWN_TENANT, "other": OTHER_TENANT}[owner]
    bind_tenant(tenant)
    email = "member@ome.example.jp" if owner == "own" else "member@koto.example.jp"
    return str(db.session.scalar(select(User.id).where(User.tenant_id == tenant, User.email == email)))
