"""Workload rounds for the authorization matrix: own = a round of 青梅市 with one department and one
entry, other = a round of 江東区; standard tasks are shared (TMG's list)."""
from __future__ import annotations

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
