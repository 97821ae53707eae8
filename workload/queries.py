"""Reads of the workload domain: task lists, rounds, progress, results, the published benchmark."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from sqlalchemy import func, select, text

from kernel.extensions import db
from tenants.models import Tenant
from workload.models import (
    BenchmarkCell,
    Department,
    Entry,
    OwnTask,
    Round,
    StandardTask,
    TaskClass,
    TaskGroup,
    task_key,
)

ZERO = Decimal(0)


@dataclass(frozen=True)
class TaskRow:
    """A task as one municipality sees it: the standard or its own, with its effective class."""

    key: str
    group_code: str
    name: str
    task_class: str
    default_class: Optional[str]  # None for an own task
    standard_task_id: Optional[int]
    own_task_id: Optional[int]
    code: str
    is_active: bool = True

    @property
    def is_own(self) -> bool:
        return self.own_task_id is not None

    @property
    def reclassified(self) -> bool:
        return self.default_class is not None and self.default_class != self.task_class


def groups() -> list[TaskGroup]:
    return list(db.session.scalars(select(TaskGroup).order_by(TaskGroup.position)))


def group_names(lang: str) -> dict[str, str]:
    return {g.code: g.name(lang) for g in groups()}


def standard_tasks(include_inactive: bool = True) -> list[StandardTask]:
    query = select(StandardTask).join(TaskGroup).order_by(TaskGroup.position, StandardTask.code)
    if not include_inactive:
        query = query.where(StandardTask.is_active.is_(True))
    return list(db.session.scalars(query))


def get_standard_task(task_id: int) -> Optional[StandardTask]:
    return db.session.get(StandardTask, task_id)


def task_list(tenant_id: str, lang: str = "ja", include_inactive: bool = False) -> list[TaskRow]:
    """The municipality's task list: the standard tasks with its classes, then its own tasks."""
    classes: dict[int, str] = {row[0]: row[1] for row in db.session.execute(
        select(TaskClass.standard_task_id, TaskClass.task_class).where(TaskClass.tenant_id == tenant_id))}
    rows = [TaskRow(task_key(t.id, None), t.group_code, (t.name_en or t.name_ja) if lang == "en" else t.name_ja,
                    classes.get(t.id, t.default_class), t.default_class, t.id, None, t.code, t.is_active)
            for t in standard_tasks(include_inactive)]
    own_query = select(OwnTask).where(OwnTask.tenant_id == tenant_id).order_by(OwnTask.id)
    if not include_inactive:
        own_query = own_query.where(OwnTask.is_active.is_(True))
    rows += [TaskRow(task_key(None, t.id), t.group_code, t.name, t.task_class, None, None, t.id, f"T{t.id}",
                     t.is_active) for t in db.session.scalars(own_query)]
    order = {g.code: g.position for g in groups()}
    return sorted(rows, key=lambda r: (order.get(r.group_code, 999), r.is_own, r.code))


def rounds(tenant_id: str) -> list[Round]:
    return list(db.session.scalars(select(Round).where(Round.tenant_id == tenant_id)
                                   .order_by(Round.fiscal_year.desc())))


def get_round(tenant_id: str, round_id: int) -> Optional[Round]:
    return db.session.scalar(select(Round).where(Round.tenant_id == tenant_id, Round.id == round_id))


def get_department(round_: Round, department_id: int) -> Optional[Department]:
    return db.session.scalar(select(Department).where(
        Department.tenant_id == round_.tenant_id, Department.round_id == round_.id, Department.id == department_id))


def department_entries(department: Department) -> dict[str, Entry]:
    entries = db.session.scalars(select(Entry).where(Entry.tenant_id == department.tenant_id,
                                                     Entry.department_id == department.id))
    return {e.task_key: e for e in entries}


def round_entries(round_: Round) -> list[Entry]:
    return list(db.session.scalars(select(Entry).where(Entry.tenant_id == round_.tenant_id,
                                                       Entry.round_id == round_.id).order_by(Entry.id)))


@dataclass(frozen=True)
class Progress:
    department: Department
    entered: int
    hours: Decimal

    @property
    def state(self) -> str:
        if self.department.submitted_at is not None:
            return "submitted"
        return "in_progress" if self.entered else "not_started"


def progress(round_: Round) -> list[Progress]:
    counts = {row[0]: (row[1], row[2]) for row in db.session.execute(
        select(Entry.department_id, func.count(), func.coalesce(func.sum(Entry.hours_per_year), 0))
        .where(Entry.tenant_id == round_.tenant_id, Entry.round_id == round_.id).group_by(Entry.department_id))}
    return [Progress(d, int(counts.get(d.id, (0, 0))[0]), Decimal(counts.get(d.id, (0, ZERO))[1]))
            for d in round_.departments]


# Results ----------------------------------------------------------------------------------------

def per_case(hours: Decimal, cases: int) -> Optional[Decimal]:
    """Hours per case to two decimals (None without cases)."""
    if cases <= 0:
        return None
    return (hours / cases).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return ZERO
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    hours: Decimal = ZERO
    core_hours: Decimal = ZERO
    cases: int = 0
    paper_hours: Decimal = ZERO

    def add(self, hours: Decimal, cases: int, core: bool, paper_share: int) -> None:
        self.hours += hours
        self.cases += cases
        if core:
            self.core_hours += hours
        self.paper_hours += hours * paper_share / 100

    @property
    def non_core_hours(self) -> Decimal:
        return self.hours - self.core_hours

    @property
    def non_core_share(self) -> Decimal:
        return percent(self.non_core_hours, self.hours)

    @property
    def hours_per_case(self) -> Optional[Decimal]:
        return per_case(self.hours, self.cases)


@dataclass(frozen=True)
class TaskResult:
    task: TaskRow
    tally: Tally
    share_of_total: Decimal


@dataclass
class Results:
    total: Tally = field(default_factory=Tally)
    by_group: dict[str, Tally] = field(default_factory=dict)
    by_department: dict[str, Tally] = field(default_factory=dict)
    by_task: list[TaskResult] = field(default_factory=list)

    @property
    def candidates(self) -> list[TaskResult]:
        """Digitisation candidates: non-core tasks by volume (hours), largest first."""
        rows = [r for r in self.by_task if r.task.task_class == "non_core" and r.tally.hours > 0]
        return sorted(rows, key=lambda r: (-r.tally.hours, -r.tally.cases, r.task.code))[:10]


def results(round_: Round, lang: str = "ja") -> Results:
    """Hours by department, task group and task; core/non-core by the municipality's current classes."""
    tasks = {t.key: t for t in task_list(round_.tenant_id, lang, include_inactive=True)}
    names = {d.id: d.name for d in round_.departments}
    out = Results()
    per_task: dict[str, Tally] = defaultdict(Tally)
    by_group: dict[str, Tally] = defaultdict(Tally)
    by_department: dict[str, Tally] = defaultdict(Tally)
    for entry in round_entries(round_):
        task = tasks.get(entry.task_key)
        if task is None:
            continue
        core = task.task_class == "core"
        department = by_department[names[entry.department_id]]
        for tally in (out.total, per_task[task.key], by_group[task.group_code], department):
            tally.add(entry.hours_per_year, entry.cases_per_year, core, entry.paper_share)
    order = {g.code: g.position for g in groups()}
    out.by_group = dict(sorted(by_group.items(), key=lambda kv: order.get(kv[0], 999)))
    out.by_department = {d.name: by_department[d.name] for d in round_.departments if d.name in by_department}
    out.by_task = [TaskResult(tasks[key], tally, percent(tally.hours, out.total.hours))
                   for key, tally in per_task.items()]
    out.by_task.sort(key=lambda r: (order.get(r.task.group_code, 999), r.task.is_own, r.task.code))
    return out


@dataclass(frozen=True)
class TaskChange:
    task: TaskRow
    before: Optional[TaskResult]
    after: Optional[TaskResult]

    @property
    def hours_change(self) -> Decimal:
        return (self.after.tally.hours if self.after else ZERO) - (self.before.tally.hours if self.before else ZERO)

    @property
    def share_change(self) -> Decimal:
        """Change of the task's share of all hours, in percentage points."""
        after = self.after.share_of_total if self.after else ZERO
        return after - (self.before.share_of_total if self.before else ZERO)


def earlier_round(round_: Round) -> Optional[Round]:
    return db.session.scalar(select(Round).where(Round.tenant_id == round_.tenant_id,
                                                 Round.fiscal_year < round_.fiscal_year)
                             .order_by(Round.fiscal_year.desc()).limit(1))


def comparison(before: Results, after: Results) -> list[TaskChange]:
    """Per task: the earlier round's hours and share beside this round's."""
    old = {r.task.key: r for r in before.by_task}
    new = {r.task.key: r for r in after.by_task}
    keys = list(new) + [k for k in old if k not in new]
    return [TaskChange((new.get(k) or old[k]).task, old.get(k), new.get(k)) for k in keys]


# Benchmark --------------------------------------------------------------------------------------

def peer_group_of(tenant: Tenant) -> str:
    if tenant.kind == "special_ward":
        return "special_ward"
    if tenant.kind == "city":
        return "city"
    return "town_village"


def benchmark_cells(fiscal_year: int, peer_group: str) -> dict[str, BenchmarkCell]:
    return {c.group_code: c for c in db.session.scalars(select(BenchmarkCell).where(
        BenchmarkCell.fiscal_year == fiscal_year, BenchmarkCell.peer_group == peer_group))}


@dataclass(frozen=True)
class SharedFigure:
    tenant_id: str
    group_code: str
    hours: Decimal
    cases: int

    @property
    def hours_per_case(self) -> Optional[Decimal]:
        return per_case(self.hours, self.cases)


def tmg_shared_figures(fiscal_year: int) -> list[SharedFigure]:
    """Per municipality and task group, only rounds shared with TMG (the function returns nothing to others)."""
    rows = db.session.execute(text("SELECT tenant_id, group_code, hours, cases FROM workload_tmg_shared_figures(:fy)"),
                              {"fy": fiscal_year})
    return [SharedFigure(r.tenant_id, r.group_code, Decimal(r.hours), int(r.cases)) for r in rows]


def shared_fiscal_years() -> list[int]:
    return list(db.session.scalars(select(BenchmarkCell.fiscal_year).distinct()
                                   .order_by(BenchmarkCell.fiscal_year.desc())))


def tenant_names(codes: list[str], lang: str) -> dict[str, str]:
    if not codes:
        return {}
    return {t.code: t.name(lang) for t in db.session.scalars(select(Tenant).where(Tenant.code.in_(codes)))}
