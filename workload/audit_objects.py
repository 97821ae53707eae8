"""How the audit log names the workload survey's objects: a municipality's rounds, departments, own tasks and
task classes are its own (RLS); TMG's standard tasks (in the viewer's language) and the shared benchmark of a
fiscal year are named for everyone, linked for TMG's keepers of the standard list."""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import String, cast, func

from kernel.audit import ObjectQuery, numeric_ids, object_rows, register_object_resolver
from kernel.i18n import current_lang, format_fiscal_year
from workload import access
from workload.models import Department, OwnTask, Round, StandardTask


def _survey(fiscal_year: int) -> str:
    return _("Workload survey %(year)s", year=format_fiscal_year(fiscal_year))


def _rounds(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_enter(viewer) or access.can_manage(viewer)
    return ObjectQuery(object_rows(Round.id, Round.fiscal_year).where(Round.tenant_id == viewer.tenant_id,
                                                                     Round.id.in_(numbers)),
                       lambda row: (_survey(int(row.title)), f"/workload/rounds/{row.object_id}" if link else None))


def _departments(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_enter(viewer)
    extra = cast(Round.fiscal_year, String) + ":" + cast(Department.round_id, String)

    def finish(row: Any) -> tuple[str, Optional[str]]:
        year, round_id = row.extra.split(":")
        return (f"{row.title} — {_survey(int(year))}",
                f"/workload/rounds/{round_id}/departments/{row.object_id}" if link else None)
    return ObjectQuery(object_rows(Department.id, Department.name, extra)
                       .join(Round, (Round.tenant_id == Department.tenant_id) & (Round.id == Department.round_id))
                       .where(Department.tenant_id == viewer.tenant_id, Department.id.in_(numbers)), finish)


def _own_tasks(viewer: Any, numbers: list[int]) -> Any:
    link = "/workload/tasks" if access.can_manage(viewer) else None
    return ObjectQuery(object_rows(OwnTask.id, OwnTask.name).where(OwnTask.tenant_id == viewer.tenant_id,
                                                                   OwnTask.id.in_(numbers)),
                       lambda row: (row.title, link))


def _standard_name() -> Any:
    """SQL: a standard task's name in the viewer's language (the Japanese one where no English is kept)."""
    if current_lang() == "en":
        return func.coalesce(func.nullif(StandardTask.name_en, ""), StandardTask.name_ja)
    return StandardTask.name_ja


def _standard_tasks(viewer: Any, numbers: list[int]) -> Any:
    keeper = access.can_maintain_standard(viewer)
    return ObjectQuery(object_rows(StandardTask.id, _standard_name()).where(StandardTask.id.in_(numbers)),
                       lambda row: (row.title, f"/workload/standard/{row.object_id}" if keeper else None))


def _tasks(viewer: Any, keys: list[str]) -> Any:
    """A task's class, by its key: ``S<id>`` a standard task, ``T<id>`` the municipality's own task."""
    standard = numeric_ids([k[1:] for k in keys if k.startswith("S")])
    own = numeric_ids([k[1:] for k in keys if k.startswith("T")])
    link = "/workload/tasks" if access.can_manage(viewer) else None
    queries = []
    if standard:
        queries.append(ObjectQuery(object_rows("S" + cast(StandardTask.id, String), _standard_name())
                                   .where(StandardTask.id.in_(standard)), lambda row: (row.title, link)))
    if own:
        queries.append(ObjectQuery(object_rows("T" + cast(OwnTask.id, String), OwnTask.name)
                                   .where(OwnTask.tenant_id == viewer.tenant_id, OwnTask.id.in_(own)),
                                   lambda row: (row.title, link)))
    return queries or {}


def _benchmarks(viewer: Any, ids: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    """The shared figures of a fiscal year (the object id is the year)."""
    link = "/workload/shared" if access.can_maintain_standard(viewer) else None
    return {year: (_("Shared workload figures %(year)s", year=format_fiscal_year(int(year))), link)
            for year in ids if year.isdigit() and len(year) == 4}


register_object_resolver("workload_round", _rounds, numeric=True)
register_object_resolver("workload_department", _departments, numeric=True)
register_object_resolver("workload_own_task", _own_tasks, numeric=True)
register_object_resolver("workload_standard_task", _standard_tasks, numeric=True)
register_object_resolver("workload_task", _tasks)
register_object_resolver("workload_benchmark", _benchmarks)
