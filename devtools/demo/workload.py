"""Demo data of workload surveys (`flask demo load`): enough shared rounds that the benchmark shows.

青梅市 has a closed round of the previous fiscal year (so its next round has something to compare
with; the current year's round is left for the demo to open). Five other cities and six special
wards have closed rounds of the current fiscal year, shared with the benchmark (some also with TMG):
the city cells and the all-Tokyo cells are published, the town-and-village cells are empty.
Figures are made up but plausible (hours scaled by the municipality's size), and idempotent.
"""
from __future__ import annotations

import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from kernel.extensions import db
from kernel.i18n import fiscal_year_of, today_tokyo
from tenants.context import as_tenant
from tenants.models import Membership, User
from tenants.roles import Role, permissions_for
from workload import services
from workload.models import StandardTask
from workload.validation import EntryInput

OME = "132055"
# code → (size factor, shares with TMG as well)
CITIES = {"132012": (2.8, True), "132021": (1.0, False), "132039": (0.9, True), "132047": (1.1, False),
          "132063": (1.6, False)}
WARDS = {"131016": (0.4, True), "131024": (1.0, False), "131032": (1.5, True), "131041": (2.0, False),
         "131059": (1.4, False), "131083": (3.0, False)}
DEPARTMENTS = {  # department → task groups it handles
    "市民課": ("madoguchi",), "課税課": ("zeimu",), "保険年金課": ("kokuho",), "福祉課": ("fukushi",),
    "子育て支援課": ("kosodate",), "総務課": ("somu",), "会計課": ("zaimu",),
}
# Per standard task: (hours per 1,000 cases, cases per year at size 1.0) — plausible orders of magnitude.
BASE = {"MAD": (90, 30_000), "ZEI": (160, 12_000), "KOK": (120, 9_000), "FUK": (700, 2_500),
        "KOS": (260, 5_000), "SOM": (400, 3_000), "ZAI": (300, 4_000)}


def _actor(tenant_id: str) -> Any:
    """The municipality's demo admin if it has one, otherwise a stand-in with the admin's permissions."""
    with as_tenant(tenant_id):
        user = db.session.scalar(select(User).join(Membership).where(
            User.tenant_id == tenant_id, Membership.role == Role.TENANT_ADMIN.value).order_by(User.id))
    if user is not None:
        return user
    granted = permissions_for({Role.MEMBER.value, Role.TENANT_ADMIN.value})
    return SimpleNamespace(is_authenticated=True, tenant_id=tenant_id, id=None, can=lambda p: p in granted)


def _figures(tasks: list[StandardTask], groups: tuple[str, ...], size: float, rng: random.Random) -> list[EntryInput]:
    rows = []
    for task in tasks:
        if task.group_code not in groups:
            continue
        per_thousand, cases = BASE[task.code[:3]]
        share = rng.uniform(0.4, 1.2)
        case_count = int(cases * size * share / 3)
        hours = Decimal(per_thousand * case_count * rng.uniform(0.7, 1.4) / 1000).quantize(Decimal("1"))
        rows.append(EntryInput(f"S{task.id}", hours, "year", case_count, rng.choice((10, 30, 50, 80, 100))))
    return rows


def make_demo_round(tenant_id: str, fiscal_year: int, size: float, *, share_benchmark: bool,
                    share_with_tmg: bool, seed: int) -> bool:
    """One closed round with every department's figures; False when the round already exists."""
    actor = _actor(tenant_id)
    with as_tenant(tenant_id, actor.id):
        round_, created = services.open_round(actor, fiscal_year, list(DEPARTMENTS))
        if not created:
            return False
        rng = random.Random(seed)
        tasks = list(db.session.scalars(select(StandardTask).order_by(StandardTask.code)))
        for department in round_.departments:
            rows = _figures(tasks, DEPARTMENTS[department.name], size, rng)
            services.save_entries(actor, department, rows, [], None)
            services.submit_department(actor, department)
        services.close_round(actor, round_, share_benchmark, share_with_tmg, None)
    return True


def load_demo() -> str:
    """The demo rounds (idempotent); publishes the current fiscal year's benchmark."""
    year = fiscal_year_of(today_tokyo())
    made = 0
    made += make_demo_round(OME, year - 1, 1.0, share_benchmark=False, share_with_tmg=False, seed=1)
    for number, (code, (size, tmg)) in enumerate({**CITIES, **WARDS}.items(), start=2):
        made += make_demo_round(code, year, size, share_benchmark=True, share_with_tmg=tmg, seed=number)
    cells = services.publish_benchmark(year)
    return f"workload: {made} rounds created, {cells} benchmark cells for fiscal year {year}"
