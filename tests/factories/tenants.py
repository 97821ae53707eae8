"""Tenants and users for tests: the demo accounts by role, and new users made through the service."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import as_tenant, bind_tenant
from tenants.models import Tenant, User
from tenants.services import NewUser, create_user


def tenant(code: str) -> Tenant:
    """A tenant of the reference data (the 62 municipalities and TMG are loaded in the template)."""
    found = db.session.get(Tenant, code)
    assert found is not None, code
    return found


def user_of(tenant_code: str, email: str) -> User:
    """An existing user, bound as the request loader would bind their session (tenant and user)."""
    bind_tenant(tenant_code)
    found = db.session.scalar(select(User).where(User.tenant_id == tenant_code, User.email == email))
    assert found is not None, email
    bind_tenant(tenant_code, found.id)
    return found


def user(who: str) -> User:
    """A demo user by role-account name (tests/conftest.py ROLE_ACCOUNTS), bound like user_of."""
    from tests.conftest import ROLE_ACCOUNTS

    tenant_code, email = ROLE_ACCOUNTS[who]
    return user_of(tenant_code, email)


def make_user(tenant_code: str, email: str, roles: tuple[str, ...] = ("member",),
              display_name: Optional[str] = None) -> User:
    """A new user of ``tenant_code`` made through tenants.services (the binding is restored after)."""
    with as_tenant(tenant_code):
        return create_user(NewUser(tenant_code, email, display_name or email, roles))
