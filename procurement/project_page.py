"""What the project page shows, read as plain rows in two statements (issue 25.5).

The page is read on every visit and writes nothing, so it loads no ORM entities. One statement, built once,
returns the project with its organiser's name and, as one array per child table, its items, timeline,
documents, quotes (their lines and tiers), the pooled totals and the participation counts; a second, for a
municipality that may declare, its own declaration with its lines. Through the ORM the same page took six
statements and some 7 ms of Python per request.

The declaration tables are tenant-owned: they are read under the viewer's binding (RLS) and filtered by the
viewer's tenant explicitly, as every service does. A participant's allocation exists only once the project
is awarded (``services.award`` writes it together with ``awarded_quote_id``), so it is read only then: each
tenant-owned table a statement names costs PostgreSQL some 0.15 ms of planning (its row-level policies).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import text

from kernel.extensions import db
from procurement.allocation import Tier
from procurement.queries import Aggregate, own_estimate, pooled_aggregate
from tenants.models import TenantRow

# The children come as arrays (one subquery each, no join), which PostgreSQL plans in a fraction of the
# separate statements' time: numbers as bigint arrays, texts as text arrays (ids cast to text beside them).
# Quote lines and tiers are found through the project's quote ids (= ANY(ARRAY(…))), not a join: a join
# of quotes, lines and tiers alone took PostgreSQL 0.15-0.2 ms to plan.
_PROJECT_COLUMNS = """
    p.id, p.organiser_tenant_id, p.title, p.description, p.category, p.status, p.survey_opens_at,
    p.survey_closes_at, p.contract_start_fy, p.contract_end_fy, p.cancel_reason, p.awarded_quote_id,
    p.contract_total_yen, p.standalone_total_yen, p.version,
    (SELECT ARRAY[t.code, t.name_ja, t.name_en, t.kind, t.region] FROM tenants t
     WHERE t.code = p.organiser_tenant_id),
    (SELECT array_agg(ARRAY[i.id::text, i.name, i.unit] ORDER BY i.position, i.id)
     FROM procurement_items i WHERE i.project_id = p.id),
    (SELECT array_agg(ARRAY[e.to_status, e.reason] ORDER BY e.id)
     FROM procurement_status_events e WHERE e.project_id = p.id),
    (SELECT array_agg(e.occurred_at ORDER BY e.id) FROM procurement_status_events e WHERE e.project_id = p.id),
    (SELECT array_agg(ARRAY[d.id::text, d.title, d.filename, d.size::text] ORDER BY d.id)
     FROM procurement_documents d WHERE d.project_id = p.id),
    (SELECT array_agg(ARRAY[q.id::text, q.vendor_name] ORDER BY q.id)
     FROM procurement_quotes q WHERE q.project_id = p.id),
    (SELECT array_agg(ARRAY[l.quote_id, l.item_id, l.setup_fee_yen] ORDER BY l.quote_id, l.item_id)
     FROM procurement_quote_lines l
     WHERE l.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = p.id))),
    (SELECT array_agg(ARRAY[t.quote_id, t.item_id, t.min_quantity, t.unit_price_yen]
                      ORDER BY t.quote_id, t.item_id, t.min_quantity)
     FROM procurement_quote_tiers t
     WHERE t.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = p.id))),
    (SELECT array_agg(ARRAY[x.item_id, x.declared_quantity, x.committed_quantity])
     FROM procurement_demand_totals x WHERE x.project_id = p.id),
    (SELECT ARRAY[c.declared, c.committed] FROM procurement_participation c WHERE c.project_id = p.id)"""
_PAGE = text(f"SELECT {_PROJECT_COLUMNS}\nFROM procurement_projects p WHERE p.id = :project_id")
# The viewer's own declaration with its lines (and, once the project is awarded, its allocation) as a statement
# of its own: in the project's statement the same subqueries cost PostgreSQL about 0.3 ms more to plan and run
# than the two statements together (measured on the bench data).
_OWN = """
    SELECT d.status, d.max_budget_yen, d.version,
           (SELECT array_agg(ARRAY[l.item_id, l.quantity] ORDER BY l.item_id) FROM procurement_declaration_lines l
            WHERE l.tenant_id = :tenant AND l.project_id = :project_id)"""
_ALLOCATION = """,
           (SELECT ARRAY[a.total_yen, a.standalone_yen] FROM procurement_allocations a
            WHERE a.tenant_id = :tenant AND a.project_id = :project_id)"""
_FROM_OWN = "\n    FROM procurement_declarations d WHERE d.tenant_id = :tenant AND d.project_id = :project_id"
_OWN_DECLARATION = text(_OWN + _FROM_OWN)
_OWN_DECLARATION_AND_ALLOCATION = text(_OWN + _ALLOCATION + _FROM_OWN)


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    name: str
    unit: str


@dataclass(frozen=True, slots=True)
class EventRow:
    to_status: str
    reason: Optional[str]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    title: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class QuoteLineRow:
    item_id: int
    setup_fee_yen: int
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class QuoteRow:
    id: int
    vendor_name: str
    lines: tuple[QuoteLineRow, ...]


@dataclass(frozen=True, slots=True)
class ProjectView:
    """The project as the page (and ``access``, ``declarations.survey_is_open``, ``aggregate``) reads it."""

    id: int
    organiser_tenant_id: str
    title: str
    description: str
    category: str
    status: str
    survey_opens_at: datetime
    survey_closes_at: datetime
    contract_start_fy: int
    contract_end_fy: int
    cancel_reason: Optional[str]
    awarded_quote_id: Optional[int]
    contract_total_yen: Optional[int]
    standalone_total_yen: Optional[int]
    version: int
    organiser: TenantRow
    items: list[ItemRow]
    events: list[EventRow]
    documents: list[DocumentRow]
    quotes: list[QuoteRow]

    def item(self, item_id: int) -> Optional[ItemRow]:
        return next((i for i in self.items if i.id == item_id), None)

    def quote(self, quote_id: Optional[int]) -> Optional[QuoteRow]:
        return next((q for q in self.quotes if q.id == quote_id), None)

    @property
    def awarded_quote(self) -> Optional[QuoteRow]:
        return self.quote(self.awarded_quote_id)


@dataclass(frozen=True, slots=True)
class OwnDeclaration:
    status: str
    max_budget_yen: Optional[int]
    version: int
    lines: dict[int, int]  # item id → quantity

    def quantities(self) -> dict[int, int]:
        return self.lines


@dataclass(frozen=True, slots=True)
class OwnAllocation:
    total_yen: int
    standalone_yen: int

    @property
    def savings_yen(self) -> int:
        return self.standalone_yen - self.total_yen


def _quotes(heads: Optional[list[list[str]]], lines: Optional[list[list[int]]],
            tiers: Optional[list[list[int]]]) -> list[QuoteRow]:
    tiers_of: dict[tuple[int, int], list[Tier]] = {}
    for quote_id, item_id, min_quantity, unit_price_yen in tiers or ():
        tiers_of.setdefault((quote_id, item_id), []).append(Tier(min_quantity, unit_price_yen))
    lines_of: dict[int, list[QuoteLineRow]] = {}
    for quote_id, item_id, fee in lines or ():
        lines_of.setdefault(quote_id, []).append(QuoteLineRow(item_id, fee, tuple(tiers_of.get((quote_id, item_id),
                                                                                                 ()))))
    return [QuoteRow(int(quote_id), vendor, tuple(lines_of.get(int(quote_id), ()))) for quote_id, vendor in heads or ()]


def _project(row: Any) -> ProjectView:
    (project_id, organiser_tenant_id, title, description, category, status, opens, closes, start_fy, end_fy, reason,
     awarded, contract_total, standalone_total, version, names, items, events, times, documents, quotes, lines,
     tiers) = row[:23]
    return ProjectView(
        project_id, organiser_tenant_id, title, description, category, status, opens, closes, start_fy, end_fy, reason,
        awarded, contract_total, standalone_total, version, TenantRow(*names),
        [ItemRow(int(i), name, unit) for i, name, unit in items or ()],
        [EventRow(to, why, at) for (to, why), at in zip(events or (), times or (), strict=True)],
        [DocumentRow(int(i), title_, filename, int(size)) for i, title_, filename, size in documents or ()],
        _quotes(quotes, lines, tiers))


@dataclass(frozen=True, slots=True)
class ProjectPage:
    project: ProjectView
    aggregate: Aggregate


def load(project_id: int, tenant_id: Optional[str]) -> Optional[ProjectPage]:
    """The project page's project and aggregate (with ``tenant_id``'s own declaration); None when not found."""
    session = db.session
    row = session.execute(_PAGE, {"project_id": project_id}).first()
    if row is None:
        return None
    project = _project(row)
    pooled = {item_id: (declared, committed) for item_id, declared, committed in row[23] or ()}
    aggregate = pooled_aggregate(project, pooled, (row[24][0], row[24][1]) if row[24] else (0, 0))
    if tenant_id is not None:
        aggregate.own = _own_view(project, tenant_id, aggregate)
    return ProjectPage(project, aggregate)


def _own_view(project: ProjectView, tenant_id: str, aggregate: Aggregate) -> Optional[dict[str, Any]]:
    statement = _OWN_DECLARATION if project.awarded_quote_id is None else _OWN_DECLARATION_AND_ALLOCATION
    row = db.session.execute(statement, {"tenant": tenant_id, "project_id": project.id}).first()
    if row is None:
        return None
    declaration = OwnDeclaration(row[0], row[1], row[2], {item_id: quantity for item_id, quantity in row[3] or ()})
    allocation = OwnAllocation(row[4][0], row[4][1]) if len(row) > 4 and row[4] is not None else None
    estimate, standalone = own_estimate(aggregate, declaration.status, declaration.lines)
    return {"declaration": declaration, "allocation": allocation, "estimate_yen": estimate,
            "standalone_yen": standalone}
