"""The people directory the kernel's notifications ask through (kernel.notifications.directory)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Optional

from sqlalchemy import select

from kernel.extensions import db
from kernel.notifications import directory as hook
from tenants.context import as_tenant, current_tenant_id
from tenants.models import Membership, Tenant, User


class TenantDirectory:
    @contextmanager
    def bound(self, tenant_id: str) -> Iterator[None]:
        previous = current_tenant_id()
        if previous == tenant_id:  # already bound: no extra round trips (notify visits many tenants)
            yield
            return
        with as_tenant(tenant_id):
            yield

    def active_people(self, tenant_id: str, user_ids: Iterable[int]) -> list[hook.Person]:
        ids = list(user_ids)
        if not ids:
            return []
        rows = db.session.execute(select(User.id, User.email, User.display_name).where(
            User.tenant_id == tenant_id, User.id.in_(ids), User.is_active.is_(True)).order_by(User.id))
        return [hook.Person(tenant_id, row.id, row.email, row.display_name) for row in rows]

    def role_holders(self, tenant_id: str, role: Optional[str]) -> list[int]:
        query = select(User.id).where(User.tenant_id == tenant_id, User.is_active.is_(True))
        if role is not None:
            query = query.where(select(Membership.role).where(
                Membership.tenant_id == User.tenant_id, Membership.user_id == User.id,
                Membership.role == role).exists())
        with self.bound(tenant_id):
            return list(db.session.scalars(query.order_by(User.id)))

    def tenant_codes(self) -> list[str]:
        return list(db.session.scalars(select(Tenant.code).order_by(Tenant.code)))

    def tenant_name(self, tenant_id: str, lang: str) -> str:
        tenant = db.session.get(Tenant, tenant_id)
        return "" if tenant is None else tenant.name(lang)


hook.install(TenantDirectory())
