"""Writers of joint procurement. Services flush and audit; they never commit (one commit per request)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from kernel import audit, uploads
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import format_day
from kernel.i18n import service_gettext as _
from kernel.notifications import notify
from procurement import access, common
from procurement.allocation import ItemPricing, Tier, allocate_cost, validate_tiers
from procurement.common import MAX_QUANTITY, MAX_YEN, Conflict, denied
from procurement.declarations import all_declarations, committed_declarations
from procurement.models import (
    CATEGORIES,
    TRANSITIONS,
    UNITS,
    Allocation,
    DemandTotal,
    Document,
    Item,
    Participation,
    Project,
    Quote,
    QuoteLine,
    QuoteTier,
    StatusEvent,
)
from tenants.context import current_tenant_id

# Projects ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectData:
    title: str
    description: str
    category: str
    survey_opens_at: datetime
    survey_closes_at: datetime
    contract_start_fy: int
    contract_end_fy: int
    items: tuple[tuple[str, str], ...]  # (name, unit)
    reminder_days: Optional[int] = None  # days before the survey closes to remind; None keeps the setting (3 when new)


def _check_project_data(data: ProjectData) -> None:
    if not data.title.strip() or len(data.title) > 200:
        raise ServiceError(_("Enter a title of at most 200 characters."), "title")
    if data.category not in CATEGORIES:
        raise ServiceError(_("Choose a category."), "category")
    if data.survey_closes_at <= data.survey_opens_at:
        raise ServiceError(_("The demand survey must close after it opens."), "survey_closes_at")
    if data.contract_end_fy < data.contract_start_fy:
        raise ServiceError(_("The contract must end in or after the fiscal year it starts."), "contract_end_fy")
    if not data.items:
        raise ServiceError(_("Enter at least one item to buy."), "items")
    if data.reminder_days is not None and not 0 <= data.reminder_days <= 60:
        raise ServiceError(_("Enter a number of days from 0 to 60 (0: no reminder)."), "reminder_days")
    for name, unit in data.items:
        if not name.strip() or len(name) > 200 or unit not in UNITS:
            raise ServiceError(_("Write each item as “name | unit” with a unit from the list."), "items")


def create_project(actor: Any, data: ProjectData) -> Project:
    """Open a project in the draft state, organised by the actor's tenant."""
    if not access.can_organise(actor):
        raise denied()
    _check_project_data(data)
    project = Project(organiser_tenant_id=actor.tenant_id, title=data.title.strip(), description=data.description,
                      category=data.category, status="draft", survey_opens_at=data.survey_opens_at,
                      survey_closes_at=data.survey_closes_at, contract_start_fy=data.contract_start_fy,
                      contract_end_fy=data.contract_end_fy, created_by_user_id=actor.id,
                      reminder_days=3 if data.reminder_days is None else data.reminder_days)
    db.session.add(project)
    db.session.flush()
    _replace_items(project, data.items)
    db.session.add(Participation(project_id=project.id, declared=0, committed=0))
    project.events.append(StatusEvent(project_id=project.id, from_status=None, to_status="draft",
                                      actor_tenant_id=actor.tenant_id, actor_user_id=actor.id))
    db.session.flush()
    audit.record("procurement.project_create", "procurement_project", project.id, after=_project_state(project))
    return project


def _replace_items(project: Project, items: Sequence[tuple[str, str]]) -> None:
    for item in list(project.items):
        db.session.delete(item)
    db.session.flush()
    project.items = []
    for position, (name, unit) in enumerate(items, start=1):
        item = Item(project_id=project.id, position=position, name=name.strip(), unit=unit)
        project.items.append(item)
    db.session.flush()
    for item in project.items:
        db.session.add(DemandTotal(project_id=project.id, item_id=item.id, declared_quantity=0, committed_quantity=0))
    db.session.flush()


def _project_state(project: Project) -> dict[str, Any]:
    return {"title": project.title, "status": project.status, "category": project.category,
            "survey_opens_at": project.survey_opens_at, "survey_closes_at": project.survey_closes_at,
            "contract_start_fy": project.contract_start_fy, "contract_end_fy": project.contract_end_fy,
            "reminder_days": project.reminder_days, "items": [[i.name, i.unit] for i in project.items]}


def _lock_project(project: Project, version: Optional[int]) -> None:
    locked = db.session.scalar(select(Project.version).where(Project.id == project.id).with_for_update())
    if version is not None and locked != version:
        raise Conflict(_("Someone else updated this project. Reload the latest version and try again."))


def update_project(actor: Any, project: Project, data: ProjectData, version: int) -> None:
    """Edit a project; items can change only while it is a draft (nobody declared yet)."""
    if not access.is_organiser(actor, project):
        raise denied()
    if project.status not in ("draft", "demand_survey"):
        raise ServiceError(_("A project at this stage can no longer be edited."))
    _check_project_data(data)
    _lock_project(project, version)
    before = _project_state(project)
    if [(i.name, i.unit) for i in project.items] != list(data.items):
        if project.status != "draft":
            raise ServiceError(_("Items cannot change once the demand survey has opened."), "items")
        _replace_items(project, data.items)
    project.title, project.description, project.category = data.title.strip(), data.description, data.category
    project.survey_opens_at, project.survey_closes_at = data.survey_opens_at, data.survey_closes_at
    project.contract_start_fy, project.contract_end_fy = data.contract_start_fy, data.contract_end_fy
    if data.reminder_days is not None:
        project.reminder_days = data.reminder_days
    project.version += 1
    project.updated_at = common.now()
    db.session.flush()
    audit.record("procurement.project_update", "procurement_project", project.id, before=before,
                 after=_project_state(project))


def transition(actor: Any, project: Project, to_status: str, reason: str = "", version: Optional[int] = None) -> None:
    """Move a project along its lifecycle; only legal moves, each one audited and on the timeline."""
    if not access.is_organiser(actor, project):
        raise denied()
    _lock_project(project, None)
    db.session.refresh(project)
    if project.status == to_status and to_status != "cancelled":
        return  # the same button pressed twice: already there
    if version is not None and version != project.version:
        raise Conflict(_("Someone else updated this project. Reload the latest version and try again."))
    if to_status == "awarded":
        raise ServiceError(_("Use the award action to award a vendor."))
    if to_status not in TRANSITIONS.get(project.status, ()):
        raise ServiceError(_("The project cannot move from its current status to that one."), "status")
    reason = (reason or "").strip()
    if to_status == "cancelled":
        if not reason:
            raise ServiceError(_("Enter the reason for cancelling."), "reason")
        project.cancel_reason = reason[:2000]
    if to_status == "demand_survey" and not project.items:
        raise ServiceError(_("A project without items cannot open a demand survey."))
    _record_transition(actor, project, to_status, reason or None)
    if to_status == "cancelled":  # every municipality that declared stops planning on it (the reason stays on the page)
        participants = sorted({d.tenant_id for d in all_declarations(project) if d.status != "withdrawn"})
        if participants:
            notify("procurement.cancelled", url=f"/procurement/{project.id}", actor=(actor.tenant_id, actor.id),
                   title=project.title, tenants=participants)
    if to_status == "demand_survey":  # the invitation: every municipality's DX lead is asked for demand
        notify("procurement.survey_opened", url=f"/procurement/{project.id}", actor=(actor.tenant_id, actor.id),
               title=project.title, deadline_ja=format_day(project.survey_closes_at, "ja"),
               deadline_en=format_day(project.survey_closes_at, "en"))


def _record_transition(actor: Any, project: Project, to_status: str, reason: Optional[str]) -> None:
    before = project.status
    project.status = to_status
    project.version += 1
    project.updated_at = common.now()
    project.events.append(StatusEvent(project_id=project.id, from_status=before, to_status=to_status, reason=reason,
                                      actor_tenant_id=actor.tenant_id, actor_user_id=actor.id))
    db.session.flush()
    audit.record("procurement.project_status", "procurement_project", project.id,
                 before={"status": before}, after={"status": to_status, "reason": reason})


# Quotes and award -------------------------------------------------------------------------------

def add_quote(actor: Any, project: Project, vendor_name: str, vendor_identifier: str, notes: str,
              lines: Mapping[int, tuple[int, Sequence[Tier]]]) -> Quote:
    """Record a vendor's quote: per item, a set-up fee and its volume tiers."""
    if not access.is_organiser(actor, project):
        raise denied()
    if project.status in ("awarded", "contracted", "completed", "cancelled"):
        raise ServiceError(_("Quotes can no longer be recorded at this stage."))
    vendor_name = (vendor_name or "").strip()
    if not vendor_name or len(vendor_name) > 200:
        raise ServiceError(_("Enter the vendor's name, at most 200 characters."), "vendor_name")
    vendor_identifier = (vendor_identifier or "").strip()
    if vendor_identifier and not (vendor_identifier.isascii() and vendor_identifier.isdigit()
                                  and len(vendor_identifier) == 13):
        raise ServiceError(_("The corporate number has 13 digits."), "vendor_identifier")
    if {i.id for i in project.items} != set(lines):
        raise ServiceError(_("Enter price tiers for every item."))
    for item_id, (fee, tiers) in lines.items():
        problems = validate_tiers(tiers)
        if problems:
            raise ServiceError(_(problems[0]), f"tiers_{item_id}")
        if not 0 <= fee <= MAX_YEN or any(t.unit_price_yen > MAX_YEN or t.min_quantity > MAX_QUANTITY for t in tiers):
            raise ServiceError(_("An amount or quantity is too large."), f"tiers_{item_id}")
    quote = Quote(project_id=project.id, vendor_name=vendor_name, vendor_identifier=vendor_identifier or None,
                  notes=(notes or "")[:5000])
    db.session.add(quote)
    db.session.flush()
    for item_id, (fee, tiers) in sorted(lines.items()):
        line = QuoteLine(quote_id=quote.id, item_id=item_id, setup_fee_yen=fee)
        line.tiers = [QuoteTier(quote_id=quote.id, item_id=item_id, min_quantity=t.min_quantity,
                                unit_price_yen=t.unit_price_yen) for t in sorted(tiers, key=lambda t: t.min_quantity)]
        quote.lines.append(line)
    db.session.flush()
    project.quotes.append(quote)
    audit.record("procurement.quote_add", "procurement_quote", quote.id, after={
        "project": project.id, "vendor": vendor_name,
        "lines": {str(i): {"fee": f, "tiers": [[t.min_quantity, t.unit_price_yen] for t in ts]}
                  for i, (f, ts) in lines.items()}})
    return quote


def quote_pricing(quote: Quote) -> dict[str, ItemPricing]:
    return {str(line.item_id): ItemPricing(tuple(Tier(t.min_quantity, t.unit_price_yen) for t in line.tiers),
                                           line.setup_fee_yen) for line in quote.lines}


def award(actor: Any, project: Project, quote_id: int, version: Optional[int] = None) -> dict[str, Allocation]:
    """Award one vendor's quote and allocate the contract to the committed participants, exactly."""
    if not access.is_organiser(actor, project):
        raise denied()
    if current_tenant_id() != actor.tenant_id:  # RLS shows the organiser every declaration only when bound as it
        raise RuntimeError("award must run with the organiser's tenant bound")
    _lock_project(project, version)
    db.session.refresh(project)
    if project.status != "tendering":
        raise ServiceError(_("A vendor can be awarded only while the project is tendering."))
    quote = project.quote(quote_id)
    if quote is None:
        raise ServiceError(_("Choose a quote."), "quote_id")
    declarations = committed_declarations(project)
    if not declarations:
        raise ServiceError(_("No municipality has committed, so the contract cannot be awarded."))
    demand = {d.tenant_id: {str(k): v for k, v in d.quantities().items()} for d in declarations}
    result = allocate_cost(quote_pricing(quote), demand)
    rows = {}
    for tenant_id, cost in result.participants.items():
        row = Allocation(tenant_id=tenant_id, project_id=project.id, quote_id=quote.id, total_yen=cost.total_yen,
                         standalone_yen=cost.standalone_yen, lines=cost.lines)
        db.session.add(row)
        rows[tenant_id] = row
    project.awarded_quote_id = quote.id
    project.awarded_at = common.now()
    project.contract_total_yen = result.contract_total_yen
    project.standalone_total_yen = result.standalone_total_yen
    _record_transition(actor, project, "awarded", quote.vendor_name)
    audit.record("procurement.award", "procurement_project", project.id, after={
        "quote": quote.id, "vendor": quote.vendor_name, "contract_total_yen": result.contract_total_yen,
        "allocations": {t: c.total_yen for t, c in result.participants.items()}})
    notify("procurement.awarded", url=f"/procurement/{project.id}", actor=(actor.tenant_id, actor.id),
           title=project.title, tenants=sorted(result.participants))
    return rows


# Specification documents ------------------------------------------------------------------------

# Specifications: PDF or an office file, recognised by the content (kernel.uploads), never by the name.
DOCUMENT_TYPES = {**uploads.PDF, **uploads.OFFICE}


def add_document(actor: Any, project: Project, title: str, filename: str, data: bytes) -> Document:
    """Attach a specification document (PDF or office file, recognised by its content, not its name)."""
    if not access.is_organiser(actor, project):
        raise denied()
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ServiceError(_("Enter a document title of at most 200 characters."), "title")
    upload = uploads.take_upload(filename, data, DOCUMENT_TYPES,
                                 _("Choose a PDF or an office file (docx, xlsx, pptx, …)."))
    # The stored name is the sent one reduced to letters, digits and "-_ ", with the real extension.
    stem = "".join(c for c in upload.filename.rsplit(".", 1)[0] if c.isalnum() or c in "-_ ")[:150].strip()
    document = Document(project_id=project.id, title=title, filename=f"{stem or 'document'}.{upload.extension}",
                        content_type=upload.content_type, size=upload.size, data=data)
    db.session.add(document)
    db.session.flush()
    project.documents.append(document)
    audit.record("procurement.document_add", "procurement_document", document.id, after={
        "project": project.id, "title": title, "filename": document.filename, "size": document.size})
    return document
