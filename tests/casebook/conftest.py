"""Fixtures of the casebook tests: users of the demo tenants and cases made through the services."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from casebook.services import create_case
from casebook.validation import empty_content
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User


def user_of(tenant: str, email: str) -> User:
    bind_tenant(tenant)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    assert user is not None
    bind_tenant(tenant, user.id)
    return user


def content(**fields: Any) -> dict[str, Any]:
    data = empty_content()
    data.update({"title": "テスト事例", "summary": "概要です。"})
    data.update(fields)
    return data


def make_case(tenant: str, email: str, **fields: Any) -> Any:
    user = user_of(tenant, email)
    case = create_case(tenant, user.id, content(**fields))
    db.session.flush()
    return case


@pytest.fixture
def ome_member(app_ctx):  # type: ignore[no-untyped-def]
    return user_of("132055", "member@ome.example.jp")
