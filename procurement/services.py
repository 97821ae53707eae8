"""Writers of joint procurement. Services flush and audit; they never commit (one commit per request)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from portal import audit
from portal.extensions import db
from procurement import access
from procurement.allocation import ItemPricing, Tier, allocate_cost, validate_tiers
from procurement.models import (
    CATEGORIES,
    DECLARATION_STATUSES,
    TRANSITIONS,
    UNITS,
    Allocation,
    Declaration,
    DeclarationLine,
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
from tenants.services import ServiceError

MAX_QUANTITY = 10_000_000
MAX_YEN = 10**13


class Conflict(ServiceError):
    """The object changed (or its deadline passed) since the form was loaded: answer 409."""


def now() -> datetime:
    """The current time (tests replace it to move across a deadline)."""
    return datetime.now(UTC)


def _denied() -> ServiceError:
    return ServiceError("この操作を行う権限がありません。")


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


def _check_project_data(data: ProjectData) -> None:
    if not data.title.strip() or len(data.title) > 200:
        raise ServiceError("件名を200文字以内で入力してください。", "title")
    if data.category not in CATEGORIES:
        raise ServiceError("分類を選んでください。", "category")
    if data.survey_closes_at <= data.survey_opens_at:
        raise ServiceError("需要調査の締切は開始より後にしてください。", "survey_closes_at")
    if data.contract_end_fy < data.contract_start_fy:
        raise ServiceError("契約期間の終了年度は開始年度以降にしてください。", "contract_end_fy")
    if not data.items:
        raise ServiceError("調達する品目を1行以上入力してください。", "items")
    for name, unit in data.items:
        if not name.strip() or len(name) > 200 or unit not in UNITS:
            raise ServiceError("品目は「名称 | 単位」の形で、単位は一覧から選んでください。", "items")


def create_project(actor: Any, data: ProjectData) -> Project:
    """Open a project in the draft state, organised by the actor's tenant."""
    if not access.can_organise(actor):
        raise _denied()
    _check_project_data(data)
    project = Project(organiser_tenant_id=actor.tenant_id, title=data.title.strip(), description=data.description,
                      category=data.category, status="draft", survey_opens_at=data.survey_opens_at,
                      survey_closes_at=data.survey_closes_at, contract_start_fy=data.contract_start_fy,
                      contract_end_fy=data.contract_end_fy, created_by_user_id=actor.id)
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
            "items": [[i.name, i.unit] for i in project.items]}


def _lock_project(project: Project, version: Optional[int]) -> None:
    locked = db.session.scalar(select(Project.version).where(Project.id == project.id).with_for_update())
    if version is not None and locked != version:
        raise Conflict("他の人がこの案件を更新しました。最新の内容を読み込んでからやり直してください。")


def update_project(actor: Any, project: Project, data: ProjectData, version: int) -> None:
    """Edit a project; items can change only while it is a draft (nobody declared yet)."""
    if not access.is_organiser(actor, project):
        raise _denied()
    if project.status not in ("draft", "demand_survey"):
        raise ServiceError("この段階の案件は編集できません。")
    _check_project_data(data)
    _lock_project(project, version)
    before = _project_state(project)
    if [(i.name, i.unit) for i in project.items] != list(data.items):
        if project.status != "draft":
            raise ServiceError("需要調査の開始後は品目を変更できません。", "items")
        _replace_items(project, data.items)
    project.title, project.description, project.category = data.title.strip(), data.description, data.category
    project.survey_opens_at, project.survey_closes_at = data.survey_opens_at, data.survey_closes_at
    project.contract_start_fy, project.contract_end_fy = data.contract_start_fy, data.contract_end_fy
    project.version += 1
    project.updated_at = now()
    db.session.flush()
    audit.record("procurement.project_update", "procurement_project", project.id, before=before,
                 after=_project_state(project))


def transition(actor: Any, project: Project, to_status: str, reason: str = "", version: Optional[int] = None) -> None:
    """Move a project along its lifecycle; only legal moves, each one audited and on the timeline."""
    if not access.is_organiser(actor, project):
        raise _denied()
    _lock_project(project, version)
    db.session.refresh(project)
    if to_status == "awarded":
        raise ServiceError("落札者の決定は「落札」から行ってください。")
    if to_status not in TRANSITIONS.get(project.status, ()):
        raise ServiceError("この状態からその状態へは移れません。", "status")
    reason = (reason or "").strip()
    if to_status == "cancelled":
        if not reason:
            raise ServiceError("中止の理由を入力してください。", "reason")
        project.cancel_reason = reason[:2000]
    if to_status == "demand_survey" and not project.items:
        raise ServiceError("品目のない案件は需要調査を始められません。")
    _record_transition(actor, project, to_status, reason or None)


def _record_transition(actor: Any, project: Project, to_status: str, reason: Optional[str]) -> None:
    before = project.status
    project.status = to_status
    project.version += 1
    project.updated_at = now()
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
        raise _denied()
    if project.status in ("awarded", "contracted", "completed", "cancelled"):
        raise ServiceError("この段階の案件には見積を登録できません。")
    vendor_name = (vendor_name or "").strip()
    if not vendor_name or len(vendor_name) > 200:
        raise ServiceError("事業者名を200文字以内で入力してください。", "vendor_name")
    vendor_identifier = (vendor_identifier or "").strip()
    if vendor_identifier and not (vendor_identifier.isdigit() and len(vendor_identifier) == 13):
        raise ServiceError("法人番号は13桁の数字で入力してください。", "vendor_identifier")
    if {i.id for i in project.items} != set(lines):
        raise ServiceError("すべての品目に価格帯を入力してください。")
    for item_id, (fee, tiers) in lines.items():
        problems = validate_tiers(tiers)
        if problems:
            raise ServiceError(problems[0], f"tiers_{item_id}")
        if not 0 <= fee <= MAX_YEN or any(t.unit_price_yen > MAX_YEN or t.min_quantity > MAX_QUANTITY for t in tiers):
            raise ServiceError("金額または数量が大きすぎます。", f"tiers_{item_id}")
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
        raise _denied()
    if current_tenant_id() != actor.tenant_id:  # RLS shows the organiser every declaration only when bound as it
        raise RuntimeError("award must run with the organiser's tenant bound")
    _lock_project(project, version)
    db.session.refresh(project)
    if project.status != "tendering":
        raise ServiceError("落札者は入札・見積の段階でのみ決定できます。")
    quote = project.quote(quote_id)
    if quote is None:
        raise ServiceError("見積を選んでください。", "quote_id")
    declarations = committed_declarations(project)
    if not declarations:
        raise ServiceError("参加を確定した団体がないため落札できません。")
    demand = {d.tenant_id: {str(k): v for k, v in d.quantities().items()} for d in declarations}
    result = allocate_cost(quote_pricing(quote), demand)
    rows = {}
    for tenant_id, cost in result.participants.items():
        row = Allocation(tenant_id=tenant_id, project_id=project.id, quote_id=quote.id, total_yen=cost.total_yen,
                         standalone_yen=cost.standalone_yen, lines=cost.lines)
        db.session.add(row)
        rows[tenant_id] = row
    project.awarded_quote_id = quote.id
    project.awarded_at = now()
    project.contract_total_yen = result.contract_total_yen
    project.standalone_total_yen = result.standalone_total_yen
    _record_transition(actor, project, "awarded", quote.vendor_name)
    audit.record("procurement.award", "procurement_project", project.id, after={
        "quote": quote.id, "vendor": quote.vendor_name, "contract_total_yen": result.contract_total_yen,
        "allocations": {t: c.total_yen for t, c in result.participants.items()}})
    return rows


def committed_declarations(project: Project) -> list[Declaration]:
    """Every committed declaration (the organiser sees them all through RLS organiser_read)."""
    return list(db.session.scalars(select(Declaration).where(
        Declaration.project_id == project.id, Declaration.status == "committed").order_by(Declaration.tenant_id)))


def all_declarations(project: Project) -> list[Declaration]:
    """Every declaration of the project visible to the caller: all of them for the organiser, else its own."""
    return list(db.session.scalars(select(Declaration).where(Declaration.project_id == project.id)
                                   .order_by(Declaration.tenant_id)))


# Declarations -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeclarationData:
    quantities: dict[int, int]
    intent: str  # interested / commit / withdraw
    max_budget_yen: Optional[int]
    contact_name: str
    contact_email: str
    contact_phone: str = ""
    remarks: str = ""


def survey_is_open(project: Project, at: Optional[datetime] = None) -> bool:
    at = at or now()
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
        raise ServiceError("参加の意向を選んでください。", "intent")
    item_ids = {i.id for i in project.items}
    if set(data.quantities) - item_ids:
        raise ServiceError("この案件にない品目です。")
    quantities = {k: int(v) for k, v in data.quantities.items() if v}
    if any(not 0 <= q <= MAX_QUANTITY for q in data.quantities.values()):
        raise ServiceError(f"数量は0以上{MAX_QUANTITY:,}以下の整数で入力してください。", "quantities")
    if data.intent != "withdraw" and not quantities:
        raise ServiceError("少なくとも1つの品目に数量を入力してください。", "quantities")
    if data.max_budget_yen is not None and not 0 <= data.max_budget_yen <= MAX_YEN:
        raise ServiceError("予算上限額は0円以上の整数で入力してください。", "max_budget_yen")
    if not data.contact_name.strip() or len(data.contact_name) > 100:
        raise ServiceError("担当者名を100文字以内で入力してください。", "contact_name")
    if "@" not in data.contact_email or len(data.contact_email) > 254:
        raise ServiceError("担当者のメールアドレスを入力してください。", "contact_email")
    if len(data.contact_phone) > 30 or len(data.remarks) > 5000:
        raise ServiceError("電話番号は30文字、備考は5000文字までです。")
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
        raise _denied()
    if not access.can_see(actor, project):
        raise _denied()
    if not survey_is_open(project):
        raise Conflict("需要調査の受付期間外のため、申告を変更できません（締切は東京時間で判定しています）。")
    quantities = _check_declaration(project, data)
    tenant_id = actor.tenant_id
    # One row per municipality and project: a concurrent first submission loses the race here and
    # then finds the row below, locked.
    db.session.execute(pg_insert(Declaration).values(
        tenant_id=tenant_id, project_id=project.id, status="withdrawn", contact_name=data.contact_name.strip(),
        contact_email=data.contact_email.strip(), version=0, created_by_user_id=actor.id,
    ).on_conflict_do_nothing(index_elements=["tenant_id", "project_id"]))
    declaration = own_declaration(project, tenant_id, lock=True)
    assert declaration is not None
    db.session.refresh(declaration)
    is_new = declaration.version == 0
    before = None if is_new else _declaration_state(declaration)
    old_quantities = declaration.quantities()
    changed = (old_quantities != quantities or declaration.max_budget_yen != data.max_budget_yen
               or declaration.contact_name != data.contact_name.strip()
               or declaration.contact_email != data.contact_email.strip()
               or declaration.contact_phone != data.contact_phone.strip() or declaration.remarks != data.remarks)
    status = _new_status(actor, None if is_new else declaration, data.intent, changed)
    if not is_new and version != declaration.version:
        if not changed and status == declaration.status:
            return declaration  # the same form submitted twice: nothing to do
        raise Conflict("他の人がこの申告を更新しました。最新の内容を確認してからやり直してください。")
    if not is_new and not changed and status == declaration.status:
        return declaration
    before_contribution = _contribution(None if is_new else declaration.status, old_quantities)
    declaration.status = status
    declaration.max_budget_yen = data.max_budget_yen
    declaration.contact_name = data.contact_name.strip()
    declaration.contact_email = data.contact_email.strip()
    declaration.contact_phone = data.contact_phone.strip()
    declaration.remarks = data.remarks
    declaration.updated_by_user_id = actor.id
    declaration.updated_at = now()
    if status == "committed" and access.can_approve(actor):
        declaration.approved_by_user_id, declaration.approved_at = actor.id, now()
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
            declaration.lines.append(DeclarationLine(tenant_id=tenant_id, project_id=project.id, item_id=item_id,
                                                     quantity=quantity))
    declaration.version += 1
    db.session.flush()
    _apply_totals(project.id, before_contribution, _contribution(status, quantities))
    db.session.flush()
    audit.record("procurement.declaration_save", "procurement_declaration", f"{tenant_id}:{project.id}",
                 before=before, after=_declaration_state(declaration))
    return declaration


def approve_declaration(actor: Any, project: Project, version: Optional[int] = None) -> Declaration:
    """The tenant admin approves the municipality's commitment (pending → committed)."""
    if not access.can_approve(actor):
        raise _denied()
    if not survey_is_open(project):
        raise Conflict("需要調査の受付期間外のため、参加を確定できません。")
    declaration = own_declaration(project, actor.tenant_id, lock=True)
    if declaration is None or declaration.status != "pending_approval":
        raise ServiceError("承認待ちの申告はありません。")
    if version is not None and version != declaration.version:
        raise Conflict("他の人がこの申告を更新しました。最新の内容を確認してからやり直してください。")
    quantities = declaration.quantities()
    before = _contribution(declaration.status, quantities)
    declaration.status = "committed"
    declaration.approved_by_user_id, declaration.approved_at = actor.id, now()
    declaration.version += 1
    db.session.flush()
    _apply_totals(project.id, before, _contribution("committed", quantities))
    audit.record("procurement.declaration_approve", "procurement_declaration", f"{actor.tenant_id}:{project.id}",
                 before={"status": "pending_approval"}, after={"status": "committed"})
    return declaration


assert set(DECLARATION_STATUSES) == {"interested", "pending_approval", "committed", "withdrawn"}


# Specification documents ------------------------------------------------------------------------

ALLOWED_DOCUMENTS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
}


def add_document(actor: Any, project: Project, title: str, filename: str, data: bytes) -> Document:
    """Attach a specification document (PDF or office file, recognised by its content, not its name)."""
    import filetype

    if not access.is_organiser(actor, project):
        raise _denied()
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ServiceError("資料名を200文字以内で入力してください。", "title")
    if not data:
        raise ServiceError("ファイルを選んでください。", "file")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_DOCUMENTS:
        raise ServiceError("PDF または Office 形式（docx・xlsx・pptx など）のファイルを選んでください。", "file")
    stem = "".join(c for c in (filename or "").rsplit(".", 1)[0] if c.isalnum() or c in "-_ ")[:150].strip()
    document = Document(project_id=project.id, title=title, filename=f"{stem or 'document'}.{kind.extension}",
                        content_type=kind.mime, size=len(data), data=data)
    db.session.add(document)
    db.session.flush()
    project.documents.append(document)
    audit.record("procurement.document_add", "procurement_document", document.id, after={
        "project": project.id, "title": title, "filename": document.filename, "size": document.size})
    return document
