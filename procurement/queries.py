"""Read side of joint procurement: visible projects, the public aggregate, estimates, savings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import null, or_, select, union_all
from sqlalchemy.orm import joinedload, lazyload, selectinload, undefer

from kernel.extensions import db
from procurement import access
from procurement.allocation import ItemPricing, largest_remainder, standalone_cost, unit_price
from procurement.models import Allocation, Declaration, DemandTotal, Document, Participation, Project, Quote, QuoteLine
from procurement.services import quote_pricing


def visible_projects(user: Any) -> list[Project]:
    """Projects past the draft state, plus the drafts of the user's own tenant when they organise."""
    condition = Project.status != "draft"
    if access.can_organise(user):
        condition = or_(condition, Project.organiser_tenant_id == user.tenant_id)
    return list(db.session.scalars(select(Project).where(condition).order_by(Project.id.desc())))


def get_project(project_id: int) -> Optional[Project]:
    """The project with its items (few) in one statement; its quotes come with their lines and tiers in one
    statement (not one per level)."""
    return db.session.get(Project, project_id, options=[
        joinedload(Project.items), selectinload(Project.quotes).joinedload(Quote.lines).joinedload(QuoteLine.tiers)])


def get_document(project: Project, document_id: int) -> Optional[Document]:
    return db.session.scalar(select(Document).where(Document.project_id == project.id, Document.id == document_id)
                             .options(undefer(Document.data)))


@dataclass
class ItemAggregate:
    item_id: int
    name: str
    unit: str
    declared_quantity: int
    committed_quantity: int
    unit_price_yen: Optional[int] = None
    next_tier: Optional[tuple[int, int]] = None  # (quantity still needed, unit price there)


@dataclass
class Aggregate:
    """What everyone who sees the project may see: totals, counts, the tier reached."""

    declared: int
    committed: int
    items: list[ItemAggregate]
    quote: Optional[Any]  # the basis quote: a Quote, or the project page's QuoteRow
    estimated_total_yen: Optional[int] = None
    own: Optional[dict[str, Any]] = field(default=None)
    pricing: dict[str, ItemPricing] = field(default_factory=dict, repr=False)  # the basis quote's, per item id


def _basis_quote(project: Any, totals: dict[int, int]) -> Optional[Any]:
    """The awarded quote, or before award the cheapest quote at the declared demand."""
    if project.awarded_quote is not None:
        return project.awarded_quote
    best: Optional[tuple[int, int, Any]] = None
    for quote in project.quotes:
        pricing = quote_pricing(quote)
        cost = sum(unit_price(pricing[str(i)].tiers, q) * q + pricing[str(i)].setup_fee_yen
                   for i, q in totals.items() if q > 0 and str(i) in pricing)
        if best is None or (cost, quote.id) < best[:2]:
            best = (cost, quote.id, quote)
    return best[2] if best else None


def _pooled(project: Project) -> tuple[dict[int, tuple[int, int]], tuple[int, int]]:
    """The demand totals per item and the participation counts, in one statement (plain rows, no entities)."""
    rows: list[Any] = list(db.session.execute(union_all(
        select(DemandTotal.item_id, DemandTotal.declared_quantity, DemandTotal.committed_quantity)
        .where(DemandTotal.project_id == project.id),
        select(null(), Participation.declared, Participation.committed)
        .where(Participation.project_id == project.id))))
    totals = {int(item): (int(declared), int(committed)) for item, declared, committed in rows if item is not None}
    part = next(((int(declared), int(committed)) for item, declared, committed in rows if item is None), (0, 0))
    return totals, part


def aggregate(project: Project, tenant_id: Optional[str] = None) -> Aggregate:
    """The pooled demand, the tier it reaches, and (for a participant) its own estimated share."""
    result = pooled_aggregate(project, *_pooled(project))
    if tenant_id is not None:
        result.own = own_view(project, tenant_id, result)
    return result


def pooled_aggregate(project: Any, rows: dict[int, tuple[int, int]], participation: tuple[int, int]) -> Aggregate:
    """The aggregate of a project (an entity or the project page's view) from its demand totals per item
    (declared, committed) and its participation counts (declared, committed)."""
    declared, committed = participation
    totals = {i.id: rows[i.id][0] if i.id in rows else 0 for i in project.items}
    quote = _basis_quote(project, totals)
    pricing = quote_pricing(quote) if quote else {}
    items = []
    for item in project.items:
        row = rows.get(item.id)
        agg = ItemAggregate(item.id, item.name, item.unit, row[0] if row else 0, row[1] if row else 0)
        if str(item.id) in pricing:
            tiers = pricing[str(item.id)].tiers
            agg.unit_price_yen = unit_price(tiers, agg.declared_quantity)
            higher = sorted((t for t in tiers if t.min_quantity > agg.declared_quantity), key=lambda t: t.min_quantity)
            if higher:
                agg.next_tier = (higher[0].min_quantity - agg.declared_quantity, higher[0].unit_price_yen)
        items.append(agg)
    result = Aggregate(declared, committed, items, quote, pricing=pricing)
    if pricing:
        result.estimated_total_yen = sum((a.unit_price_yen or 0) * a.declared_quantity
                                         + (pricing[str(a.item_id)].setup_fee_yen if a.declared_quantity else 0)
                                         for a in items)
    return result


def own_estimate(agg: Aggregate, status: str, quantities: dict[int, int]) -> tuple[Optional[int], Optional[int]]:
    """A participant's estimated share at the current demand and its cost of buying alone (None, None when the
    declaration is withdrawn or empty, or no quote prices the project yet)."""
    pricing = agg.pricing
    if not pricing or status == "withdrawn" or not quantities:
        return None, None
    estimate = 0
    for item in agg.items:
        q = quantities.get(item.item_id, 0)
        if q and item.unit_price_yen is not None:
            pooled = max(item.declared_quantity, q)
            fee_share = largest_remainder(pricing[str(item.item_id)].setup_fee_yen,
                                          {"own": q, "others": pooled - q})["own"]
            estimate += item.unit_price_yen * q + fee_share
    return estimate, standalone_cost(pricing, {str(k): v for k, v in quantities.items()})


def own_view(project: Project, tenant_id: str, agg: Aggregate) -> Optional[dict[str, Any]]:
    # The declaration with its lines and its allocation in one statement (the page names neither's tenant).
    found = db.session.execute(
        select(Declaration, Allocation)
        .outerjoin(Allocation, (Allocation.tenant_id == Declaration.tenant_id)
                   & (Allocation.project_id == Declaration.project_id))
        .where(Declaration.tenant_id == tenant_id, Declaration.project_id == project.id)
        .options(joinedload(Declaration.lines), lazyload(Declaration.tenant), lazyload(Allocation.tenant))
    ).unique().first()
    if found is None:
        return None
    declaration, allocation = found
    estimate, standalone = own_estimate(agg, declaration.status, declaration.quantities())
    return {"declaration": declaration, "allocation": allocation, "estimate_yen": estimate,
            "standalone_yen": standalone}


def allocations(project: Project, user: Any = None) -> list[Allocation]:
    """Allocations the caller may see: every participant's for an organiser, else only its own tenant's.

    Filtered here explicitly (not only by RLS): without ``user`` — exports, services acting as the
    organiser — the database policy alone decides.
    """
    query = select(Allocation).where(Allocation.project_id == project.id).order_by(Allocation.tenant_id)
    if user is not None and not access.is_organiser(user, project):
        query = query.where(Allocation.tenant_id == user.tenant_id)
    return list(db.session.scalars(query))


@dataclass
class SavingsRow:
    label: str
    pooled_yen: int
    standalone_yen: int

    @property
    def savings_yen(self) -> int:
        return self.standalone_yen - self.pooled_yen

    @property
    def percent(self) -> str:
        if not self.standalone_yen:
            return "0.0"
        tenths = (self.savings_yen * 1000 + self.standalone_yen // 2) // self.standalone_yen
        return f"{tenths // 10}.{tenths % 10}"


def savings(project: Project, user: Any, lang: str = "ja") -> tuple[list[SavingsRow], Optional[SavingsRow]]:
    """Per-municipality rows the caller may see (all for an organiser, its own otherwise) and the total."""
    rows = [SavingsRow(a.tenant.name(lang), a.total_yen, a.standalone_yen) for a in allocations(project, user)]
    total = None
    if project.contract_total_yen is not None and project.standalone_total_yen is not None:
        total = SavingsRow("total", project.contract_total_yen, project.standalone_total_yen)
    return rows, total
