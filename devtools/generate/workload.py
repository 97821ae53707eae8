"""Synthetic workload surveys for the benchmarks (`flask demo generate`).

Every generated municipality gets closed rounds for the three fiscal years before the current one,
seven departments and a figure for every standard task; most share with the benchmark, some with
TMG. Tenant-owned rows go in as multi-row INSERTs under the tenant's binding (COPY is refused under
row-level security); the benchmark of each year is then published through the same SECURITY
DEFINER function the application uses. A year a municipality already has is left alone.
"""
from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from kernel.i18n import fiscal_year_of, today_tokyo

TMG = "130001"
DEPARTMENTS = ("市民課", "課税課", "保険年金課", "福祉課", "子育て支援課", "総務課", "会計課")
GROUP_DEPARTMENT = {"madoguchi": 0, "zeimu": 1, "kokuho": 2, "fukushi": 3, "kosodate": 4, "somu": 5, "zaimu": 6}


def _insert(cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
            returning: str = "") -> list[Any]:
    from psycopg2.extras import execute_values

    if not rows:
        return []
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s {returning}"  # noqa: S608 - module constants
    return list(execute_values(cur, sql, rows, page_size=1000, fetch=bool(returning)) or [])


def generate(cur: Any, tenant_codes: list[str], per_tenant: int, rng: random.Random) -> dict[str, int]:
    """Write three rounds per municipality and publish each year's benchmark; returns rows per table."""
    counts: dict[str, int] = defaultdict(int)
    cur.execute("SELECT id, group_code FROM workload_standard_tasks WHERE is_active ORDER BY code")
    tasks = cur.fetchall()
    this_year = fiscal_year_of(today_tokyo())
    years = (this_year - 3, this_year - 2, this_year - 1)
    for tenant in tenant_codes:
        if tenant == TMG:
            continue
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        size = rng.uniform(0.2, 3.0)
        for year in years:
            cur.execute(
                "INSERT INTO workload_rounds (tenant_id, fiscal_year, status, share_benchmark, share_with_tmg, "
                "closed_at) VALUES (%s, %s, 'closed', %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id",
                (tenant, year, rng.random() < 0.8, rng.random() < 0.3))
            found = cur.fetchone()
            if found is None:
                continue
            round_id = found[0]
            counts["workload_rounds"] += 1
            departments = [row[0] for row in _insert(cur, "workload_departments", ("tenant_id", "round_id", "name"),
                                                     [(tenant, round_id, name) for name in DEPARTMENTS],
                                                     "RETURNING id")]
            counts["workload_departments"] += len(departments)
            entries = []
            for task_id, group in tasks:
                cases = int(rng.uniform(200, 20_000) * size)
                hours = round(cases * rng.uniform(0.05, 0.8), 1)
                entries.append((tenant, round_id, departments[GROUP_DEPARTMENT.get(group, 5)], task_id, group,
                                hours, cases, rng.choice((0, 20, 50, 80, 100))))
            counts["workload_entries"] += len(_insert(
                cur, "workload_entries", ("tenant_id", "round_id", "department_id", "standard_task_id", "group_code",
                                          "hours_per_year", "cases_per_year", "paper_share"), entries, "RETURNING id"))
    cur.execute("SELECT set_config('app.tenant_id', '', true)")
    for year in years:
        cur.execute("SELECT workload_publish_benchmark(%s, 5)", (year,))
        counts["workload_benchmark_cells"] += int(cur.fetchone()[0])
    return counts
