"""Workload objects for tests: rounds with departments and entries, in any municipality.

Each municipality's rows are written under its own tenant binding (as the services would for its
users); ``tenants.context.as_tenant`` restores the previous binding.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import as_tenant
from tenants.models import User
from tenants.roles import Role
from workload import services
from workload.models import Round, StandardTask
from workload.validation import EntryInput


def admin_of(tenant_id: str) -> Any:
    """The tenant's demo admin when there is one, otherwise a stand-in actor with the admin's roles."""
    with as_tenant(tenant_id):
        user = db.session.scalar(select(User).where(User.tenant_id == tenant_id).order_by(User.id))
    if user is not None and user.has_role(Role.TENANT_ADMIN):
        return user
    from tenants.roles import permissions_for

    granted = permissions_for({Role.MEMBER.value, Role.TENANT_ADMIN.value})
    return SimpleNamespace(is_authenticated=True, tenant_id=tenant_id, id=None, can=lambda p: p in granted)


def task_id(code: str) -> int:
    task_id = db.session.scalar(select(StandardTask.id).where(StandardTask.code == code))
    assert task_id is not None, code
    return int(task_id)


def make_round(tenant_id: str, fiscal_year: int, figures: Mapping[str, Mapping[str, tuple[Any, int]]],
               close: bool = False, share_benchmark: bool = False, share_with_tmg: bool = False) -> Round:
    """A round with departments → {standard task code: (hours per year, cases)}."""
    actor = admin_of(tenant_id)
    with as_tenant(tenant_id, actor.id):
        round_, _created = services.open_round(actor, fiscal_year, list(figures))
        for department in round_.departments:
            rows = [EntryInput(f"S{task_id(code)}", Decimal(str(hours)), "year", cases, 0)
                    for code, (hours, cases) in figures[department.name].items()]
            services.save_entries(actor, department, rows, [], None)
        if close:
            services.close_round(actor, round_, share_benchmark, share_with_tmg, None)
    return round_
