"""Writers of the workload domain. Services flush and audit; they never commit (one commit per request)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Optional

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select, text

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from tenants.models import User
from workload import access, queries
from workload.models import CLASSES, Department, Entry, OwnTask, Round, StandardTask, TaskClass, TaskGroup
from workload.notify import notify_users
from workload.validation import EntryInput

MAX_DEPARTMENTS = 100


class Conflict(ServiceError):
    """The object changed since the form was loaded: answer 409."""


def _denied() -> ServiceError:
    return ServiceError(_("You are not allowed to do this."))


def _now() -> datetime:
    return datetime.now(UTC)


def _name(value: str, field: str, limit: int = 200) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise ServiceError(_("Enter a name of at most %(limit)s characters.", limit=limit), field)
    return value


def _group(code: str) -> TaskGroup:
    group = db.session.get(TaskGroup, code or "")
    if group is None:
        raise ServiceError(_("Choose a task group."), "group_code")
    return group


def _task_class(value: str, field: str = "task_class") -> str:
    if value not in CLASSES:
        raise ServiceError(_("Choose core or non-core."), field)
    return value


# The standard task list (TMG) -------------------------------------------------------------------

def add_standard_task(actor: Any, group_code: str, name_ja: str, name_en: str, default_class: str) -> StandardTask:
    """Add a task to the standard list; its code continues the group's numbering."""
    if not access.can_maintain_standard(actor):
        raise _denied()
    group = _group(group_code)
    name = _name(name_ja, "name_ja")
    if db.session.scalar(select(StandardTask.id).where(StandardTask.group_code == group.code,
                                                       StandardTask.name_ja == name)):
        raise ServiceError(_("This task is already on the standard list."), "name_ja")
    prefix = group.code[:3].upper()
    taken = db.session.scalar(select(func.count()).select_from(StandardTask)
                              .where(StandardTask.code.like(f"{prefix}%")))
    task = StandardTask(code=f"{prefix}{int(taken or 0) + 1:02d}", group_code=group.code, name_ja=name,
                        name_en=(name_en or "").strip()[:200],
                        default_class=_task_class(default_class, "default_class"))
    db.session.add(task)
    db.session.flush()
    audit.record("workload.standard_task_add", "workload_standard_task", task.id, after=_standard_state(task))
    return task


def _standard_state(task: StandardTask) -> dict[str, Any]:
    return {"code": task.code, "group": task.group_code, "name_ja": task.name_ja, "name_en": task.name_en,
            "default_class": task.default_class, "is_active": task.is_active}


def update_standard_task(actor: Any, task: StandardTask, name_ja: str, name_en: str, default_class: str,
                         is_active: bool, version: Optional[int]) -> None:
    """Rename, re-classify by default or retire a standard task (entries keep pointing at it)."""
    if not access.can_maintain_standard(actor):
        raise _denied()
    locked = db.session.scalar(select(StandardTask.version).where(StandardTask.id == task.id).with_for_update())
    if version != locked:
        raise Conflict(_("Someone else changed this task. Reload the page and try again."))
    before = _standard_state(task)
    task.name_ja, task.name_en = _name(name_ja, "name_ja"), (name_en or "").strip()[:200]
    task.default_class, task.is_active = _task_class(default_class, "default_class"), bool(is_active)
    task.version += 1
    db.session.flush()
    audit.record("workload.standard_task_update", "workload_standard_task", task.id, before=before,
                 after=_standard_state(task))


# A municipality's own tasks and classes ---------------------------------------------------------

def add_own_task(actor: Any, group_code: str, name: str, task_class: str) -> OwnTask:
    """Extend the standard list with a task of the municipality's own (a repeated request returns it)."""
    if not access.can_manage(actor):
        raise _denied()
    group, name = _group(group_code), _name(name, "name")
    existing = db.session.scalar(select(OwnTask).where(OwnTask.tenant_id == actor.tenant_id, OwnTask.name == name))
    if existing is not None:
        return existing
    task = OwnTask(tenant_id=actor.tenant_id, group_code=group.code, name=name, task_class=_task_class(task_class))
    db.session.add(task)
    db.session.flush()
    audit.record("workload.own_task_add", "workload_own_task", task.id,
                 after={"group": task.group_code, "name": task.name, "class": task.task_class})
    return task


def set_task_class(actor: Any, key: str, task_class: str) -> None:
    """Re-classify a task for the municipality (core / non-core); the standard default stays as TMG set it."""
    if not access.can_manage(actor):
        raise _denied()
    task_class = _task_class(task_class)
    task = next((t for t in queries.task_list(actor.tenant_id, include_inactive=True) if t.key == key), None)
    if task is None:
        raise ServiceError(_("This task is not on your list."))
    if task.task_class == task_class:
        return
    if task.own_task_id is not None:
        own = db.session.scalar(select(OwnTask).where(OwnTask.tenant_id == actor.tenant_id,
                                                      OwnTask.id == task.own_task_id))
        assert own is not None
        own.task_class = task_class
    else:
        db.session.execute(delete(TaskClass).where(TaskClass.tenant_id == actor.tenant_id,
                                                   TaskClass.standard_task_id == task.standard_task_id))
        if task_class != task.default_class:
            db.session.add(TaskClass(tenant_id=actor.tenant_id, standard_task_id=task.standard_task_id,
                                     task_class=task_class))
    db.session.flush()
    audit.record("workload.task_class", "workload_task", key, before={"class": task.task_class},
                 after={"class": task_class})


# Rounds and departments -------------------------------------------------------------------------

def _department_names(names: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if len(name) > 100:
            raise ServiceError(_("A department name may have at most 100 characters."), "departments")
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_DEPARTMENTS:
        raise ServiceError(_("At most 100 departments can take part in one round."), "departments")
    return cleaned


def open_round(actor: Any, fiscal_year: int, department_names: Sequence[str]) -> tuple[Round, bool]:
    """Open the municipality's round of a fiscal year with its departments; (round, created).

    A repeated request (double submit) returns the round already open for that year.
    """
    if not access.can_manage(actor):
        raise _denied()
    if not 2000 <= fiscal_year <= 2100:
        raise ServiceError(_("Enter a fiscal year such as 2026."), "fiscal_year")
    existing = db.session.scalar(select(Round).where(Round.tenant_id == actor.tenant_id,
                                                     Round.fiscal_year == fiscal_year))
    if existing is not None:
        return existing, False
    names = _department_names(department_names)
    if not names:
        raise ServiceError(_("Pick at least one department."), "departments")
    round_ = Round(tenant_id=actor.tenant_id, fiscal_year=fiscal_year, status="open", opened_by_user_id=actor.id)
    db.session.add(round_)
    db.session.flush()
    for name in names:
        db.session.add(Department(tenant_id=actor.tenant_id, round_id=round_.id, name=name))
    db.session.flush()
    db.session.refresh(round_)
    audit.record("workload.round_open", "workload_round", round_.id,
                 after={"fiscal_year": fiscal_year, "departments": names})
    return round_, True


def add_departments(actor: Any, round_: Round, names: Sequence[str]) -> int:
    """Add departments to an open round (names already there are skipped); returns how many were added."""
    if not access.can_manage(actor) or round_.tenant_id != actor.tenant_id:
        raise _denied()
    _require_open(round_)
    present = {d.name for d in round_.departments}
    new = [n for n in _department_names(names) if n not in present]
    if len(present) + len(new) > MAX_DEPARTMENTS:
        raise ServiceError(_("At most 100 departments can take part in one round."), "departments")
    for name in new:
        db.session.add(Department(tenant_id=round_.tenant_id, round_id=round_.id, name=name))
    db.session.flush()
    db.session.refresh(round_)
    if new:
        audit.record("workload.departments_add", "workload_round", round_.id, after={"departments": new})
    return len(new)


def set_contact(actor: Any, department: Department, user_id: Optional[int]) -> None:
    """Name the person who enters a department's hours (reminders go to them)."""
    if not access.can_manage(actor) or department.tenant_id != actor.tenant_id:
        raise _denied()
    if user_id is not None and db.session.scalar(select(User.id).where(
            User.tenant_id == actor.tenant_id, User.id == user_id, User.is_active.is_(True))) is None:
        raise ServiceError(_("Choose a person of your municipality."), "contact_user_id")
    before = department.contact_user_id
    department.contact_user_id = user_id
    db.session.flush()
    audit.record("workload.department_contact", "workload_department", department.id,
                 before={"contact": before}, after={"contact": user_id})


def _require_open(round_: Round) -> None:
    if round_.status != "open":
        raise ServiceError(_("This round is closed. Its administrator can reopen it."))


def save_entries(actor: Any, department: Department, rows: Sequence[EntryInput], blank_keys: Sequence[str],
                 version: Optional[int], source: str = "form") -> int:
    """Write a department's figures: one row per task given, tasks left blank removed; returns rows written.

    ``version`` is the department's version when the form (or the template) was produced; a stale one
    is refused, so nobody overwrites a colleague's entries unseen. Excel uploads pass None.
    """
    if not access.can_enter(actor) or department.tenant_id != actor.tenant_id:
        raise _denied()
    round_ = department.round
    _require_open(round_)
    locked = db.session.scalar(select(Department.version).where(
        Department.tenant_id == department.tenant_id, Department.id == department.id).with_for_update())
    if version is not None and version != locked:
        raise Conflict(_("Someone else saved this department's figures in the meantime. Reload the page: your "
                         "changes were not saved."))
    tasks = {t.key: t for t in queries.task_list(actor.tenant_id, include_inactive=True)}
    unknown = [r.task_key for r in rows if r.task_key not in tasks] + [k for k in blank_keys if k not in tasks]
    if unknown:
        raise ServiceError(_("Unknown task: %(key)s", key=", ".join(unknown[:5])))
    existing = queries.department_entries(department)
    before = {k: _entry_state(e) for k, e in existing.items()}
    for key in blank_keys:
        if key in existing:
            db.session.delete(existing.pop(key))
    for row in rows:
        task = tasks[row.task_key]
        entry = existing.get(row.task_key)
        if entry is None:
            entry = Entry(tenant_id=department.tenant_id, round_id=round_.id, department_id=department.id,
                          standard_task_id=task.standard_task_id, own_task_id=task.own_task_id,
                          group_code=task.group_code)
            db.session.add(entry)
            existing[row.task_key] = entry
        entry.hours_per_year, entry.entered_per = row.hours_per_year, row.entered_per
        entry.cases_per_year, entry.paper_share = row.cases_per_year, row.paper_share
        entry.updated_at = _now()
    department.version += 1
    department.updated_at = _now()
    db.session.flush()
    audit.record("workload.entries_save", "workload_department", department.id, before=before,
                 after={"source": source, "entries": {k: _entry_state(e) for k, e in existing.items()}})
    return len(rows)


def _entry_state(entry: Entry) -> dict[str, Any]:
    return {"hours": entry.hours_per_year, "per": entry.entered_per, "cases": entry.cases_per_year,
            "paper": entry.paper_share}


def submit_department(actor: Any, department: Department) -> None:
    """Mark a department's figures as complete (a repeated submit changes nothing)."""
    if not access.can_enter(actor) or department.tenant_id != actor.tenant_id:
        raise _denied()
    _require_open(department.round)
    if department.submitted_at is not None:
        return
    if not queries.department_entries(department):
        raise ServiceError(_("Enter the hours of at least one task before submitting."))
    department.submitted_at = _now()
    department.version += 1
    db.session.flush()
    audit.record("workload.department_submit", "workload_department", department.id)


def send_reminders(actor: Any, round_: Round) -> int:
    """Remind the contacts of departments that have not submitted; returns how many people were notified."""
    if not access.can_manage(actor) or round_.tenant_id != actor.tenant_id:
        raise _denied()
    _require_open(round_)
    pending = [d for d in round_.departments if d.submitted_at is None and d.contact_user_id is not None]
    recipients = sorted({d.contact_user_id for d in pending if d.contact_user_id is not None})
    if recipients:
        notify_users(round_.tenant_id, recipients, f"/workload/rounds/{round_.id}", year=round_.fiscal_year)
    audit.record("workload.reminders", "workload_round", round_.id, after={"recipients": recipients})
    return len(recipients)


def close_round(actor: Any, round_: Round, share_benchmark: bool, share_with_tmg: bool,
                version: Optional[int]) -> None:
    """Close a round; with consent its task-group figures join the peer benchmark and/or reach TMG."""
    if not access.can_manage(actor) or round_.tenant_id != actor.tenant_id:
        raise _denied()
    _lock_round(round_, version)
    if round_.status == "closed":
        return
    if not queries.round_entries(round_):
        raise ServiceError(_("No department has entered hours yet."))
    round_.status, round_.closed_at = "closed", _now()
    round_.share_benchmark, round_.share_with_tmg = bool(share_benchmark), bool(share_with_tmg)
    round_.version += 1
    db.session.flush()
    audit.record("workload.round_close", "workload_round", round_.id,
                 after={"share_benchmark": round_.share_benchmark, "share_with_tmg": round_.share_with_tmg})
    publish_benchmark(round_.fiscal_year)


def set_sharing(actor: Any, round_: Round, share_benchmark: bool, share_with_tmg: bool,
                version: Optional[int]) -> None:
    """Give or withdraw consent for a closed round; the benchmark of its fiscal year is published again."""
    if not access.can_manage(actor) or round_.tenant_id != actor.tenant_id:
        raise _denied()
    _lock_round(round_, version)
    before = {"share_benchmark": round_.share_benchmark, "share_with_tmg": round_.share_with_tmg}
    round_.share_benchmark, round_.share_with_tmg = bool(share_benchmark), bool(share_with_tmg)
    round_.version += 1
    db.session.flush()
    audit.record("workload.round_sharing", "workload_round", round_.id, before=before,
                 after={"share_benchmark": round_.share_benchmark, "share_with_tmg": round_.share_with_tmg})
    if round_.status == "closed":
        publish_benchmark(round_.fiscal_year)


def reopen_round(actor: Any, round_: Round, version: Optional[int]) -> None:
    """Reopen a closed round for corrections; its figures leave the benchmark until it closes again."""
    if not access.can_manage(actor) or round_.tenant_id != actor.tenant_id:
        raise _denied()
    _lock_round(round_, version)
    if round_.status == "open":
        return
    round_.status, round_.closed_at = "open", None
    round_.version += 1
    db.session.flush()
    audit.record("workload.round_reopen", "workload_round", round_.id)
    publish_benchmark(round_.fiscal_year)


def _lock_round(round_: Round, version: Optional[int]) -> None:
    locked = db.session.scalar(select(Round.version).where(Round.tenant_id == round_.tenant_id,
                                                           Round.id == round_.id).with_for_update())
    if version is not None and version != locked:
        raise Conflict(_("Someone else changed this round in the meantime. Reload the page and try again."))


def min_contributors() -> int:
    """Contributors a benchmark cell needs (WORKLOAD_MIN_CONTRIBUTORS, default 5, never below 3)."""
    configured = current_app.config.get("WORKLOAD_MIN_CONTRIBUTORS", 5) if has_app_context() else 5
    try:
        return max(int(configured), 3)
    except (TypeError, ValueError):
        return 5


def publish_benchmark(fiscal_year: int) -> int:
    """Recompute the published benchmark cells of a fiscal year (the one audited cross-tenant path)."""
    written = int(db.session.execute(text("SELECT workload_publish_benchmark(:fy, :k)"),
                                     {"fy": fiscal_year, "k": min_contributors()}).scalar_one())
    db.session.expire_all()
    audit.record("workload.benchmark_publish", "workload_benchmark", fiscal_year,
                 after={"cells": written, "min_contributors": min_contributors()})
    return written


def read_shared_figures(actor: Any, fiscal_year: int) -> list[queries.SharedFigure]:
    """TMG reads the figures municipalities shared with it; every read is audited."""
    if not access.can_maintain_standard(actor):
        raise _denied()
    figures = queries.tmg_shared_figures(fiscal_year)
    audit.record("workload.shared_figures_read", "workload_benchmark", fiscal_year,
                 after={"municipalities": sorted({f.tenant_id for f in figures})})
    return figures
