"""What the project page shows, read as plain rows in one statement (issue 25.5).

The page is read on every visit and writes nothing, so it loads no ORM entities. One statement, built once,
returns as one JSON value the project with its organiser's name and, as one array per child table, its items,
timeline, documents, quotes (their lines and tiers), the pooled totals and the participation counts, and, for a
municipality that may declare, its own declaration with its lines. Through the ORM the same page took six
statements and some 7 ms of Python per request.

The declaration tables are tenant-owned: they are read under the viewer's binding (RLS) and filtered by the
viewer's tenant explicitly, as every service does. A participant's allocation exists only once the project
is awarded (``services.award`` writes it together with ``awarded_quote_id``), so it is read only then, in a
second statement: each tenant-owned table a statement names costs PostgreSQL some 0.15 ms of planning (its
row-level policies).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, String, TextClause, bindparam, column, text

from kernel.extensions import db
from kernel.kept_plans import BIGINT_VALUES, KeptPlan
from procurement.allocation import Tier
from procurement.queries import Aggregate, own_estimate, pooled_aggregate
from tenants.models import TenantRow

# The whole page is one JSON value (psycopg2 decodes it in C, as the case page's, casebook/entry_page.py): the
# children as one array each (a subquery each, no join), which PostgreSQL plans in a fraction of the separate
# statements' time. Quote lines and tiers are found through the project's quote ids (= ANY(ARRAY(…))), not a
# join: a join of quotes, lines and tiers alone took PostgreSQL 0.15-0.2 ms to plan. Every amount and quantity
# is a bigint or an integer, which JSON carries exactly (Python reads a JSON integer as an int, never a float);
# the timestamps come as ISO 8601 text with their offset, the same instants as the driver's datetimes.
_PROJECT = """
    SELECT json_build_array(
           p.id, p.organiser_tenant_id, p.title, p.description, p.category, p.status, p.survey_opens_at,
           p.survey_closes_at, p.contract_start_fy, p.contract_end_fy, p.cancel_reason, p.awarded_quote_id,
           p.contract_total_yen, p.standalone_total_yen, p.version,
           (SELECT json_build_array(t.code, t.name_ja, t.name_en, t.kind, t.region) FROM tenants t
            WHERE t.code = p.organiser_tenant_id),
           (SELECT json_agg(json_build_array(i.id, i.name, i.unit) ORDER BY i.position, i.id)
            FROM procurement_items i WHERE i.project_id = p.id),
           (SELECT json_agg(json_build_array(e.to_status, e.reason, e.occurred_at) ORDER BY e.id)
            FROM procurement_status_events e WHERE e.project_id = p.id),
           (SELECT json_agg(json_build_array(d.id, d.title, d.filename, d.size) ORDER BY d.id)
            FROM procurement_documents d WHERE d.project_id = p.id),
           (SELECT json_agg(json_build_array(q.id, q.vendor_name) ORDER BY q.id)
            FROM procurement_quotes q WHERE q.project_id = p.id),
           (SELECT json_agg(json_build_array(l.quote_id, l.item_id, l.setup_fee_yen) ORDER BY l.quote_id, l.item_id)
            FROM procurement_quote_lines l
            WHERE l.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = p.id))),
           (SELECT json_agg(json_build_array(t.quote_id, t.item_id, t.min_quantity, t.unit_price_yen)
                            ORDER BY t.quote_id, t.item_id, t.min_quantity)
            FROM procurement_quote_tiers t
            WHERE t.quote_id = ANY(ARRAY(SELECT q.id FROM procurement_quotes q WHERE q.project_id = p.id))),
           (SELECT json_agg(json_build_array(x.item_id, x.declared_quantity, x.committed_quantity))
            FROM procurement_demand_totals x WHERE x.project_id = p.id),
           (SELECT json_build_array(c.declared, c.committed) FROM procurement_participation c
            WHERE c.project_id = p.id)%s)
    FROM procurement_projects p WHERE p.id = :project_id"""
# For a municipality that may declare, its own declaration with its lines, in the same statement: PostgreSQL plans
# and runs it in the time of the project's statement and a statement of its own together (0.39 ms planning,
# 0.15 ms execution on the bench data, both ways), and the page saves a round trip. The declaration tables are
# tenant-owned: read under the viewer's binding and filtered by the viewer's tenant explicitly.
_OWN = """,
           (SELECT json_build_array(d.status, d.max_budget_yen, d.version,
                (SELECT json_agg(json_build_array(l.item_id, l.quantity) ORDER BY l.item_id)
                 FROM procurement_declaration_lines l WHERE l.tenant_id = :tenant AND l.project_id = p.id))
            FROM procurement_declarations d WHERE d.tenant_id = :tenant AND d.project_id = p.id)"""
# PostgreSQL planned the statement with the declaration in 0.48 ms and ran it in 0.16 (EXPLAIN ANALYZE on the bench
# data): both are sent through their plan functions (kernel/kept_plans.py), whose plans PostgreSQL keeps per server
# connection.
_PAGE = KeptPlan(text(_PROJECT % "").bindparams(bindparam("project_id", type_=BigInteger()))
                 .columns(column("page", JSON())))
_PAGE_WITH_OWN = KeptPlan(text(_PROJECT % _OWN).bindparams(bindparam("project_id", type_=BigInteger()),
                                                          bindparam("tenant", type_=String(6)))
                          .columns(column("page", JSON())))
# The participant's allocation exists only once the project is awarded (services.award writes it together with
# awarded_quote_id), and only for a declaration: read then, in a statement of its own, so that the page of a
# project not yet awarded (nearly every visit) does not plan one more tenant-owned table (some 0.15 ms).
_ALLOCATION = text("""
    SELECT json_build_array(a.total_yen, a.standalone_yen) FROM procurement_allocations a
    WHERE a.tenant_id = :tenant AND a.project_id = :project_id""")


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


def _quotes(heads: Optional[list[list[Any]]], lines: Optional[list[list[int]]],
            tiers: Optional[list[list[int]]]) -> list[QuoteRow]:
    tiers_of: dict[tuple[int, int], list[Tier]] = {}
    for quote_id, item_id, min_quantity, unit_price_yen in tiers or ():
        tiers_of.setdefault((quote_id, item_id), []).append(Tier(min_quantity, unit_price_yen))
    lines_of: dict[int, list[QuoteLineRow]] = {}
    for quote_id, item_id, fee in lines or ():
        lines_of.setdefault(quote_id, []).append(QuoteLineRow(item_id, fee, tuple(tiers_of.get((quote_id, item_id),
                                                                                                 ()))))
    return [QuoteRow(quote_id, vendor, tuple(lines_of.get(quote_id, ()))) for quote_id, vendor in heads or ()]


def _project(values: list[Any]) -> ProjectView:
    (project_id, organiser_tenant_id, title, description, category, status, opens, closes, start_fy, end_fy, reason,
     awarded, contract_total, standalone_total, version, names, items, events, documents, quotes, lines,
     tiers) = values[:22]
    return ProjectView(
        project_id, organiser_tenant_id, title, description, category, status, datetime.fromisoformat(opens),
        datetime.fromisoformat(closes), start_fy, end_fy, reason, awarded, contract_total, standalone_total, version,
        TenantRow(*names), [ItemRow(i, name, unit) for i, name, unit in items or ()],
        [EventRow(to, why, datetime.fromisoformat(at)) for to, why, at in events or ()],
        [DocumentRow(*document) for document in documents or ()], _quotes(quotes, lines, tiers))


@dataclass(frozen=True, slots=True)
class ProjectPage:
    project: ProjectView
    aggregate: Aggregate


@lru_cache(maxsize=8)
def _sql(statement: TextClause, dialect: Any) -> str:
    return str(statement.compile(dialect=dialect))


def _first(statement: TextClause | KeptPlan, parameters: dict[str, Any]) -> Any:
    """The statement's one JSON value (None without a row), sent as driver SQL compiled once per worker.

    As the case page's (casebook.entry_page.load): the statements take plain values and their result needs no
    processing, and SQLAlchemy's execution of a text() statement (its compiled-cache look-up and result set-up)
    took more Python than the rows' own conversion. The engine's events (the tenant binding in front of the
    transaction's first statement, the statement counters) see it as before; it reads from the primary. A kept
    plan is sent as the call of its plan function where the database has it.
    """
    connection = db.session.connection()
    sql = statement.driver_sql(connection) if isinstance(statement, KeptPlan) else _sql(statement, connection.dialect)
    row = connection.exec_driver_sql(sql, parameters).first()
    return None if row is None else row[0]


def load(project_id: int, tenant_id: Optional[str]) -> Optional[ProjectPage]:
    """The project page's project and aggregate (with ``tenant_id``'s own declaration); None when not found."""
    if project_id not in BIGINT_VALUES:
        return None
    if tenant_id is None:
        values = _first(_PAGE, {"project_id": project_id})
    else:
        values = _first(_PAGE_WITH_OWN, {"project_id": project_id, "tenant": tenant_id})
    if values is None:
        return None
    project = _project(values)
    pooled = {item_id: (declared, committed) for item_id, declared, committed in values[22] or ()}
    aggregate = pooled_aggregate(project, pooled, (values[23][0], values[23][1]) if values[23] else (0, 0))
    if tenant_id is not None:
        aggregate.own = _own_view(project, tenant_id, aggregate, values[24])
    return ProjectPage(project, aggregate)


def _own_view(project: ProjectView, tenant_id: str, aggregate: Aggregate,
              values: Optional[list[Any]]) -> Optional[dict[str, Any]]:
    if values is None:
        return None
    declaration = OwnDeclaration(values[0], values[1], values[2],
                                 {item_id: quantity for item_id, quantity in values[3] or ()})
    allocation = None
    if project.awarded_quote_id is not None:
        found = _first(_ALLOCATION, {"tenant": tenant_id, "project_id": project.id})
        allocation = OwnAllocation(found[0], found[1]) if found is not None else None
    estimate, standalone = own_estimate(aggregate, declaration.status, declaration.lines)
    return {"declaration": declaration, "allocation": allocation, "estimate_yen": estimate,
            "standalone_yen": standalone}
