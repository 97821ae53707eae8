"""Synthetic joint-procurement data for the benchmarks (``flask demo generate``, issue 7).

TMG organises ``per_tenant // 10 + 2`` projects (at most 200) collecting demand; each tenant
declares on up to ``per_tenant`` of them, 1–3 items each, interested or committed (approved). The
pooled totals are computed here and written once, so they match the declarations exactly.
Shared tables are written with COPY. PostgreSQL refuses COPY FROM into a table whose row-level
security applies to the writer ("COPY FROM not supported with row-level security"), and RLS is forced
for the owner too, so tenant-owned rows go in as multi-row INSERTs (execute_values, 1,000 rows a
statement) under that tenant's ``app.tenant_id`` — still checked by the tenant policy.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.generate import copy_rows
from procurement.models import CATEGORIES

TMG = "130001"
TOOLS = ("電子申請", "RPA", "AI-OCR", "チャットボット", "生成AI", "Web会議", "電子契約", "文書管理")
UNITS = ("licence", "user", "account", "device")


def _insert(cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
    """Multi-row INSERT for tables under RLS (COPY is refused there)."""
    from psycopg2.extras import execute_values

    if rows:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s"  # noqa: S608 - names are this module's constants
        execute_values(cur, sql, rows, page_size=1000)
    return len(rows)


def _projects(cur: Any, count: int, rng: random.Random) -> list[tuple[int, list[int]]]:
    now = datetime.now(UTC)
    projects = []
    for n in range(count):
        tool = rng.choice(TOOLS)
        opens = now - timedelta(days=rng.randint(1, 30))
        cur.execute(
            "INSERT INTO procurement_projects (organiser_tenant_id, title, description, category, status, "
            "survey_opens_at, survey_closes_at, contract_start_fy, contract_end_fy) "
            "VALUES (%s, %s, %s, %s, 'demand_survey', %s, %s, %s, %s) RETURNING id",
            (TMG, f"{tool} 共同調達 #{n + 1}", f"{tool}の共同調達（生成データ）", rng.choice(CATEGORIES), opens,
             opens + timedelta(days=rng.randint(31, 90)), 2027, 2027 + rng.randint(0, 2)))
        project_id = cur.fetchone()[0]
        items = []
        for position in range(1, rng.randint(1, 3) + 1):
            cur.execute("INSERT INTO procurement_items (project_id, position, name, unit) VALUES (%s, %s, %s, %s) "
                        "RETURNING id", (project_id, position, f"{tool} 品目{position}", rng.choice(UNITS)))
            items.append(cur.fetchone()[0])
        cur.execute("INSERT INTO procurement_quotes (project_id, vendor_name) VALUES (%s, %s) RETURNING id",
                    (project_id, f"生成データ商事{rng.randint(1, 50)}"))
        quote_id = cur.fetchone()[0]
        lines, tiers = [], []
        for item_id in items:
            lines.append((quote_id, item_id, rng.choice((0, 50_000, 300_000))))
            price = rng.randint(5, 50) * 100
            for min_quantity in (1, 100, 500):
                tiers.append((quote_id, item_id, min_quantity, price))
                price = price * rng.randint(75, 95) // 100
        copy_rows(cur, "procurement_quote_lines", ("quote_id", "item_id", "setup_fee_yen"), lines)
        copy_rows(cur, "procurement_quote_tiers", ("quote_id", "item_id", "min_quantity", "unit_price_yen"), tiers)
        copy_rows(cur, "procurement_status_events", ("project_id", "from_status", "to_status", "actor_tenant_id"),
              [(project_id, None, "draft", TMG), (project_id, "draft", "demand_survey", TMG)])
        projects.append((project_id, items))
    return projects


def generate(cur: Any, tenant_codes: list[str], per_tenant: int, rng: random.Random) -> dict[str, int]:
    """Write projects and every tenant's declarations; returns the row count per table."""
    counts: dict[str, int] = defaultdict(int)
    cur.execute("SELECT set_config('app.tenant_id', %s, true)", (TMG,))
    projects = _projects(cur, min(200, per_tenant // 10 + 2), rng)
    counts["procurement_projects"] = len(projects)
    counts["procurement_items"] = sum(len(items) for _p, items in projects)
    declared: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    participation: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    now = datetime.now(UTC).isoformat()
    for tenant in tenant_codes:
        if tenant == TMG:
            continue
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        declarations, lines = [], []
        for project_id, items in rng.sample(projects, min(per_tenant, len(projects))):
            committed = rng.random() < 0.4
            declarations.append((tenant, project_id, "committed" if committed else "interested",
                                 rng.randint(1, 500) * 10_000, "担当者", f"dx@{tenant}.example.jp",
                                 now if committed else None, 1))
            participation[project_id][0] += 1
            participation[project_id][1] += int(committed)
            for item_id in rng.sample(items, rng.randint(1, len(items))):
                quantity = rng.randint(1, 300)
                lines.append((tenant, project_id, item_id, quantity))
                declared[(project_id, item_id)][0] += quantity
                declared[(project_id, item_id)][1] += quantity if committed else 0
        counts["procurement_declarations"] += _insert(
            cur, "procurement_declarations", ("tenant_id", "project_id", "status", "max_budget_yen", "contact_name",
                                              "contact_email", "approved_at", "version"), declarations)
        counts["procurement_declaration_lines"] += _insert(
            cur, "procurement_declaration_lines", ("tenant_id", "project_id", "item_id", "quantity"), lines)
    cur.execute("SELECT set_config('app.tenant_id', %s, true)", (TMG,))
    counts["procurement_demand_totals"] = copy_rows(
        cur, "procurement_demand_totals", ("project_id", "item_id", "declared_quantity", "committed_quantity"),
        [(p, i, *declared[(p, i)]) for p, items in projects for i in items])
    counts["procurement_participation"] = copy_rows(
        cur, "procurement_participation", ("project_id", "declared", "committed"),
        [(p, *participation[p]) for p, _items in projects])
    cur.execute("SELECT set_config('app.tenant_id', '', true)")
    return dict(counts)
