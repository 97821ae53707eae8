"""Demand declarations: a municipality's quantities, budget and commitment, and the pooled totals.

Writers flush and audit; they never commit. The declaration row is tenant-owned (RLS); the pooled
totals are shared rows changed by atomic increments in one lock order.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from kernel.notifications import notify
from procurement import access, common
from procurement.common import MAX_QUANTITY, MAX_YEN, Conflict, denied
from procurement.models import Declaration, DeclarationLine, DemandTotal, Participation, Project


def committed_declarations(project: Project) -> list[Declaration]:
    """Every committed declaration (the organiser sees them all through RLS organiser_read)."""
    return list(db.session.scalars(select(Declaration).where(
        Declaration.project_id == project.id, Declaration.status == "committed").order_by(Declaration.tenant_id)))


def all_declarations(project: Project) -> list[Declaration]:
    """Every declaration of the project visible to the caller: all of them for the organiser, else its own."""
    return list(db.session.scalars(select(Declaration).where(Declaration.project_id == project.id)
                                   .order_by(Declaration.tenant_id)))



@dataclass(frozen=True)
class DeclarationData:
    quantities: dict[int, int]
    intent: str  # interested / commit / withdraw
    max_budget_yen: Optional[int]
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    remarks: str = ""


def survey_is_open(project: Any, at: Optional[datetime] = None) -> bool:
    """Is the demand survey of ``project`` (an entity or the project page's view) open at ``at`` (now)?"""
    at = at or common.now()
    return project.status == "demand_survey" and project.survey_opens_at <= at < project.survey_closes_at


def own_declaration(project: Project, tenant_id: str, lock: bool = False) -> Optional[Declaration]:
    query = select(Declaration).where(Declaration.tenant_id == tenant_id, Declaration.project_id == project.id)
    if lock:
        query = query.with_for_update(of=Declaration)
    return db.session.scalar(query)


Contribution = tuple[dict[int, int], dict[int, int], int, int]


def _contribution(status: Optional[str], quantities: Mapping[int, int]) -> Contribution:
    active = status in ("interested", "pending_approval", "committed") and any(q > 0 for q in quantities.values())
    committed = active and status == "committed"
    declared_q = dict(quantities) if active else {}
    committed_q = dict(quantities) if committed else {}
    return declared_q, committed_q, int(active), int(committed)


def _apply_totals(project_id: int, before: Contribution, after: Contribution) -> None:
    # Atomic increments on the shared totals: concurrent declarations of different municipalities
    # serialise on these rows and never lose or double count an update.
    for old, new, column in ((before[0], after[0], DemandTotal.declared_quantity),
                             (before[1], after[1], DemandTotal.committed_quantity)):
        for item_id in sorted(set(old) | set(new)):  # one lock order for every writer: no deadlock
            delta = new.get(item_id, 0) - old.get(item_id, 0)
            if delta:
                db.session.execute(update(DemandTotal).where(
                    DemandTotal.project_id == project_id, DemandTotal.item_id == item_id)
                    .values({column.key: column + delta}))
    declared, committed = after[2] - before[2], after[3] - before[3]
    if declared or committed:
        db.session.execute(update(Participation).where(Participation.project_id == project_id).values(
            declared=Participation.declared + declared, committed=Participation.committed + committed))


def _declaration_state(declaration: Declaration) -> dict[str, Any]:
    return {"status": declaration.status, "quantities": {str(k): v for k, v in declaration.quantities().items()},
            "max_budget_yen": declaration.max_budget_yen, "contact_name": declaration.contact_name,
            "contact_email": declaration.contact_email, "contact_phone": declaration.contact_phone,
            "remarks": declaration.remarks}


def _check_declaration(project: Project, data: DeclarationData) -> dict[int, int]:
    if data.intent not in ("interested", "commit", "withdraw"):
        raise ServiceError(_("Choose how your municipality takes part."), "intent")
    item_ids = {i.id for i in project.items}
    if set(data.quantities) - item_ids:
        raise ServiceError(_("That item is not part of this project."))
    quantities = {k: int(v) for k, v in data.quantities.items() if v}
    if any(not 0 <= q <= MAX_QUANTITY for q in data.quantities.values()):
        raise ServiceError(_("Enter a whole number from 0 to %(max)s.", max=f"{MAX_QUANTITY:,}"), "quantities")
    if data.intent != "withdraw" and not quantities:
        raise ServiceError(_("Enter a quantity for at least one item."), "quantities")
    if data.max_budget_yen is not None and not 0 <= data.max_budget_yen <= MAX_YEN:
        raise ServiceError(_("Enter the maximum budget as a whole number of yen from 0."), "max_budget_yen")
    if not data.contact_name.strip() or len(data.contact_name) > 100:
        raise ServiceError(_("Enter the contact person, at most 100 characters."), "contact_name")
    if "@" not in data.contact_email or len(data.contact_email) > 254:
        raise ServiceError(_("Enter the contact person's e-mail address."), "contact_email")
    if len(data.contact_phone) > 30 or len(data.remarks) > 5000:
        raise ServiceError(_("The telephone number may have 30 characters and the remarks 5,000."))
    return quantities


def _new_status(actor: Any, current: Optional[Declaration], intent: str, changed: bool) -> str:
    if intent == "withdraw":
        return "withdrawn"
    if intent == "interested":
        return "interested"
    if access.can_approve(actor):
        return "committed"  # the tenant admin's own commitment is its approval
    if current is not None and current.status == "committed" and not changed:
        return "committed"  # a member's change to a committed declaration goes back for approval
    return "pending_approval"


def save_declaration(actor: Any, project: Project, data: DeclarationData, version: Optional[int]) -> Declaration:
    """Create or edit the actor's municipality's declaration while the survey is open (Asia/Tokyo deadline).

    ``version`` is the version the form was loaded with (None for a new declaration). A stale edit
    raises Conflict (409); resubmitting exactly what is stored (a double click) changes nothing.
    """
    if not access.can_declare(actor):
        raise denied()
    if not access.can_see(actor, project):
        raise denied()
    if not survey_is_open(project):
        raise Conflict(_("The demand survey is closed, so the declaration can no longer be changed "
                         "(the deadline is in Tokyo time)."))
    quantities = _check_declaration(project, data)
    declaration = _lock_or_create(actor, project, data)
    is_new = declaration.version == 0
    before = None if is_new else _declaration_state(declaration)
    old_quantities = declaration.quantities()
    changed = (old_quantities != quantities or declaration.max_budget_yen != data.max_budget_yen
               or declaration.contact_name != data.contact_name.strip()
               or declaration.contact_email != data.contact_email.strip()
               or declaration.contact_phone != data.contact_phone.strip() or declaration.remarks != data.remarks)
    status = _new_status(actor, None if is_new else declaration, data.intent, changed)
    if not is_new and not changed and status == declaration.status:
        return declaration  # nothing to do — also what a double-submitted form finds
    if not is_new and version != declaration.version:
        raise Conflict(_("Someone else updated this declaration. Check the latest version and try again."))
    before_contribution = _contribution(None if is_new else declaration.status, old_quantities)
    _write(actor, declaration, data, quantities, status)
    _apply_totals(project.id, before_contribution, _contribution(status, quantities))
    db.session.flush()
    audit.record("procurement.declaration_save", "procurement_declaration", f"{actor.tenant_id}:{project.id}",
                 before=before, after=_declaration_state(declaration))
    if status == "pending_approval" and (before is None or before.get("status") != "pending_approval"):
        notify("procurement.declaration_pending", url=f"/procurement/{project.id}/declaration",
               actor=(actor.tenant_id, actor.id), tenant_id=actor.tenant_id, title=project.title)
    return declaration


def _lock_or_create(actor: Any, project: Project, data: DeclarationData) -> Declaration:
    """The municipality's row, locked; created (version 0) when missing.

    One row per municipality and project: a concurrent first submission loses the race on the
    primary key (ON CONFLICT DO NOTHING) and then waits for the lock on the row the other wrote.
    """
    db.session.execute(pg_insert(Declaration).values(
        tenant_id=actor.tenant_id, project_id=project.id, status="withdrawn", contact_name=data.contact_name.strip(),
        contact_email=data.contact_email.strip(), version=0, created_by_user_id=actor.id,
    ).on_conflict_do_nothing(index_elements=["tenant_id", "project_id"]))
    declaration = own_declaration(project, actor.tenant_id, lock=True)
    assert declaration is not None
    db.session.refresh(declaration)
    return declaration


def _write(actor: Any, declaration: Declaration, data: DeclarationData, quantities: dict[int, int],
           status: str) -> None:
    declaration.status = status
    declaration.max_budget_yen = data.max_budget_yen
    declaration.contact_name = data.contact_name.strip()
    declaration.contact_email = data.contact_email.strip()
    declaration.contact_phone = data.contact_phone.strip()
    declaration.remarks = data.remarks
    declaration.updated_by_user_id = actor.id
    declaration.updated_at = common.now()
    if status == "committed" and access.can_approve(actor):
        declaration.approved_by_user_id, declaration.approved_at = actor.id, common.now()
    elif status != "committed":
        declaration.approved_by_user_id, declaration.approved_at = None, None
    existing = {line.item_id: line for line in declaration.lines}
    for item_id, line in existing.items():
        if item_id not in quantities:
            declaration.lines.remove(line)
    for item_id, quantity in quantities.items():
        if item_id in existing:
            existing[item_id].quantity = quantity
        else:
            declaration.lines.append(DeclarationLine(tenant_id=declaration.tenant_id, project_id=declaration.project_id,
                                                     item_id=item_id, quantity=quantity))
    declaration.version += 1
    db.session.flush()


def approve_declaration(actor: Any, project: Project, version: Optional[int] = None) -> Declaration:
    """The tenant admin approves the municipality's commitment (pending → committed)."""
    if not access.can_approve(actor):
        raise denied()
    if not survey_is_open(project):
        raise Conflict(_("The demand survey is closed, so the commitment can no longer be approved."))
    declaration = own_declaration(project, actor.tenant_id, lock=True)
    if declaration is None or declaration.status != "pending_approval":
        raise ServiceError(_("There is no declaration awaiting approval."))
    if version is not None and version != declaration.version:
        raise Conflict(_("Someone else updated this declaration. Check the latest version and try again."))
    quantities = declaration.quantities()
    before = _contribution(declaration.status, quantities)
    declaration.status = "committed"
    declaration.approved_by_user_id, declaration.approved_at = actor.id, common.now()
    declaration.version += 1
    db.session.flush()
    _apply_totals(project.id, before, _contribution("committed", quantities))
    audit.record("procurement.declaration_approve", "procurement_declaration", f"{actor.tenant_id}:{project.id}",
                 before={"status": "pending_approval"}, after={"status": "committed"})
    return declaration
