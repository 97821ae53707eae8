"""JSON API of workload surveys under /api/v1/workload (the same personal access tokens as the rest).

Reads only: a municipality's rounds and their results, and the published benchmark cells (which
never hold a suppressed value).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kernel.api import api_error, openapi, register_api_blueprint
from kernel.audit import record_always
from kernel.i18n import service_gettext as _
from tenants.auth import api_auth
from tenants.roles import Permission
from workload import queries
from workload.models import PEER_GROUPS

api = register_api_blueprint(Blueprint("workload_api", __name__, url_prefix="/api/v1/workload"))
TAGS = ["workload"]
OBJECT = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
          "404": {"description": "Not found or not visible"}}


def _number(value: Any) -> Any:
    return None if value is None else float(value)


@api.get("/rounds")
@api_auth(Permission.WORKLOAD_ENTER)
@openapi("The caller's municipality's survey rounds", tags=TAGS)
def rounds() -> ResponseReturnValue:
    return jsonify({"rounds": [{"id": r.id, "fiscal_year": r.fiscal_year, "status": r.status,
                                "share_benchmark": r.share_benchmark, "share_with_tmg": r.share_with_tmg}
                               for r in queries.rounds(current_user.tenant_id)]})


@api.get("/rounds/<int:round_id>/results")
@api_auth(Permission.WORKLOAD_ENTER)
@openapi("Results of one round: hours by task group and department, per task", tags=TAGS, responses=OBJECT)
def round_results(round_id: int) -> ResponseReturnValue:
    round_ = queries.get_round(current_user.tenant_id, round_id)
    if round_ is None:
        record_always("access.not_found", "workload_round", round_id)
        return api_error(404, _("Round not found."))
    results = queries.results(round_)

    def tally(t: Any) -> dict[str, Any]:
        return {"hours": _number(t.hours), "core_hours": _number(t.core_hours), "cases": t.cases,
                "non_core_share": _number(t.non_core_share), "hours_per_case": _number(t.hours_per_case)}

    return jsonify({"id": round_.id, "fiscal_year": round_.fiscal_year, "status": round_.status,
                    "total": tally(results.total),
                    "groups": {code: tally(t) for code, t in results.by_group.items()},
                    "departments": {name: tally(t) for name, t in results.by_department.items()},
                    "tasks": [{"key": r.task.key, "group": r.task.group_code, "name": r.task.name,
                               "class": r.task.task_class, **tally(r.tally)} for r in results.by_task]})


@api.get("/benchmark/<int:fiscal_year>/<peer_group>")
@api_auth(Permission.WORKLOAD_ENTER)
@openapi("Published benchmark cells (hours per case per task group) of a fiscal year and peer group",
         tags=TAGS, responses=OBJECT)
def benchmark(fiscal_year: int, peer_group: str) -> ResponseReturnValue:
    if peer_group not in PEER_GROUPS:
        return api_error(404, _("Unknown peer group."))
    cells = queries.benchmark_cells(fiscal_year, peer_group)
    return jsonify({"fiscal_year": fiscal_year, "peer_group": peer_group,
                    "cells": [{"group": code, "published": c.published, "contributors": c.contributors,
                               "q1": _number(c.q1), "median": _number(c.median), "q3": _number(c.q3)}
                              for code, c in cells.items()]})
