"""Workload rounds for the authorization matrix: own = a round of 青梅市 with one department and one
entry, other = a round of 江東区; standard tasks are shared (TMG's list)."""
from __future__ import annotations

import itertools

from tests.authz.providers import provides
from tests.conftest import OTHER_TENANT, OWN_TENANT
from tests.factories.workload import make_round, task_id

FY = 2032


def _round(owner: str):  # type: ignore[no-untyped-def]
    tenant = OWN_TENANT if owner == "own" else OTHER_TENANT
    return make_round(tenant, FY, {"マトリクス課": {"MAD01": (100, 10)}})


@provides("workload_round")
def workload_round(owner: str) -> str:
    return str(_round(owner).id)


@provides("workload_department")
def workload_department(owner: str) -> str:
    round_ = _round(owner)
    return f"{round_.id}/departments/{round_.departments[0].id}"


@provides("workload_standard_task")
def workload_standard_task(owner: str) -> str:
    return str(task_id("MAD01"))


_FRESH = itertools.count(1)


@provides("workload_fresh")
def workload_fresh(owner: str) -> str:
    """A number not used before in this process: a new task's name must be unique in its list."""
    return str(next(_FRESH))


@provides("workload_free_year")
def workload_free_year(owner: str) -> str:
    """A fiscal year in which the municipality has no round yet (a new round's form), counting down from
    2039: below the years tests/notifications/test_idempotency_matrix.py gives this module's rounds."""
    from sqlalchemy import select

    from kernel.extensions import db
    from tenants.context import as_tenant
    from workload.models import Round

    tenant = OWN_TENANT if owner == "own" else OTHER_TENANT
    with as_tenant(tenant):
        taken = set(db.session.scalars(select(Round.fiscal_year).where(Round.tenant_id == tenant)))
    return str(next(year for year in range(2039, 2000, -1) if year not in taken))


@provides("workload_standard_key")
def workload_standard_key(owner: str) -> str:
    """The task key of MAD01 (standard, non-core by default) with the municipality's own class reset to the
    default, so that re-classifying it writes the same each time."""
    from tenants.context import as_tenant
    from tests.factories.workload import admin_of
    from workload import services

    tenant = OWN_TENANT if owner == "own" else OTHER_TENANT
    actor = admin_of(tenant)
    with as_tenant(tenant, actor.id):
        services.set_task_class(actor, f"S{task_id('MAD01')}", "non_core")
    return f"S{task_id('MAD01')}"


@provides("workload_new_standard_task")
def workload_new_standard_task(owner: str) -> str:
    """A task just added to TMG's standard list by the curator (version 1), a fresh one per call."""
    from tenants.context import as_tenant
    from tests.factories.tenants import user
    from workload import services

    curator = user("curator")
    with as_tenant(curator.tenant_id, curator.id):
        task = services.add_standard_task(curator, "madoguchi", f"行列テストの編集する業務{next(_FRESH)}", "",
                                          "non_core")
    return str(task.id)


@provides("workload_closed_round")
def workload_closed_round(owner: str) -> str:
    """The municipality's round of FY, closed (a row names it alone: FY's open round is not the same call's)."""
    from tenants.context import as_tenant

    tenant = OWN_TENANT if owner == "own" else OTHER_TENANT
    round_ = make_round(tenant, FY, {"マトリクス課": {"MAD01": (100, 10)}}, close=True)
    with as_tenant(tenant):  # closing expired the round: it is read again under its municipality's binding
        return str(round_.id)
