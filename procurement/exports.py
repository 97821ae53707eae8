"""Exports for the organiser: an Excel workbook and an OCDS 1.1 release package."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any, Optional

from openpyxl import Workbook

from kernel import spreadsheets
from kernel.i18n import TOKYO
from procurement.confidential import publishable
from procurement.declarations import all_declarations
from procurement.models import Allocation, Declaration, Project
from procurement.queries import Aggregate, aggregate, allocations

OCDS_EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_budget_breakdown_extension/master/"
    "extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_contract_buyer_extension/master/"
    "extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
]
LG_SCHEME = "JP-LGC"  # 全国地方公共団体コード
CORPORATE_SCHEME = "JP-JCN"  # 法人番号 (org-id.guide)

_HEAD = {
    "ja": {"overview": "概要", "participants": "参加団体", "quantities": "数量", "allocations": "按分",
           "code": "団体コード", "name": "団体名", "status": "状況", "approved_at": "承認日時",
           "budget": "予算上限(円)",
           "contact": "担当者", "email": "メール", "phone": "電話", "remarks": "備考", "total": "負担額(円)",
           "standalone": "単独調達の場合(円)", "savings": "削減額(円)", "setup": "初期費用按分(円)", "sum": "合計",
           "title": "件名", "organiser": "主催", "vendor": "落札者", "contract_total": "契約総額(円)",
           "fy": "契約期間(年度)", "survey": "需要調査締切"},
    "en": {"overview": "Overview", "participants": "Participants", "quantities": "Quantities",
           "allocations": "Allocations", "code": "Code", "name": "Municipality", "status": "Status",
           "approved_at": "Approved at", "budget": "Maximum budget (JPY)", "contact": "Contact", "email": "E-mail",
           "phone": "Telephone", "remarks": "Remarks", "total": "Share (JPY)", "standalone": "Buying alone (JPY)",
           "savings": "Savings (JPY)", "setup": "Set-up fee share (JPY)", "sum": "Total", "title": "Title",
           "organiser": "Organiser", "vendor": "Awarded vendor", "contract_total": "Contract total (JPY)",
           "fy": "Contract period (FY)", "survey": "Survey closes"},
}
UNIT_NAMES_JA = {"licence": "ライセンス", "user": "ユーザー", "account": "アカウント", "device": "台", "year": "年",
                 "month": "月", "set": "式"}  # releases are language "ja": unit names in Japanese
_STATUS = {"ja": {"interested": "関心あり", "pending_approval": "参加確定（承認待ち）", "committed": "参加確定",
                  "withdrawn": "辞退"},
           "en": {"interested": "Interested", "pending_approval": "Commitment awaiting approval",
                  "committed": "Committed", "withdrawn": "Withdrawn"}}


def _local(value: Optional[datetime]) -> Optional[datetime]:
    """Tokyo local time without a zone (Excel has none), kept as a date cell."""
    return value.astimezone(TOKYO).replace(tzinfo=None) if value else None


def _unit_label(code: str, lang: str) -> str:
    return UNIT_NAMES_JA.get(code, code) if lang != "en" else code


def workbook(project: Project, lang: str = "ja") -> bytes:
    """The organiser's workbook: overview, participants and approvals, quantities, allocations.

    Every cell through kernel.spreadsheets: what municipalities typed (contact, remarks) can never
    become a formula; yen are numbers with a yen format; dates are dates; each sheet has a bold
    frozen header, a filter and fitted widths.
    """
    lang = "en" if lang == "en" else "ja"
    head = _HEAD[lang]
    status_names = _STATUS[lang]
    declarations = all_declarations(project)
    allocated = {a.tenant_id: a for a in allocations(project)}
    book = Workbook()
    overview = book.active
    overview.title = head["overview"]
    quote = project.awarded_quote
    for label, value, fmt in ((head["title"], project.title, None),
                              (head["organiser"], project.organiser.name(lang), None),
                              (head["fy"], f"{project.contract_start_fy}–{project.contract_end_fy}", None),
                              (head["survey"], _local(project.survey_closes_at), spreadsheets.DATETIME),
                              (head["vendor"], quote.vendor_name if quote else "", None),
                              (head["contract_total"], project.contract_total_yen, spreadsheets.YEN)):
        spreadsheets.write_row(overview, [label, value], [None, fmt])
    spreadsheets.finish(overview, filter_=False)

    yen = spreadsheets.YEN
    spreadsheets.write_table(
        book.create_sheet(head["participants"]),
        [head[k] for k in ("code", "name", "status", "approved_at", "budget", "contact", "email", "phone", "remarks")],
        ([d.tenant_id, d.tenant.name(lang), status_names[d.status], _local(d.approved_at), d.max_budget_yen,
          d.contact_name, d.contact_email, d.contact_phone, d.remarks] for d in declarations),
        formats=["@", None, None, spreadsheets.DATETIME, yen, "@", "@", "@", "@"])

    sheet = book.create_sheet(head["quantities"])
    unit_formats = [None, None, *[spreadsheets.INTEGER for _ in project.items]]
    spreadsheets.write_row(sheet, [head["code"], head["name"],
                                   *[f"{i.name}（{_unit_label(i.unit, lang)}）" for i in project.items]])
    for d in declarations:
        quantities = d.quantities()
        spreadsheets.write_row(sheet, [d.tenant_id, d.tenant.name(lang),
                                       *[quantities.get(i.id, 0) for i in project.items]], ["@", *unit_formats[1:]])
    totals = aggregate(project).items
    spreadsheets.write_row(sheet, ["", head["sum"], *[t.declared_quantity for t in totals]], unit_formats)
    spreadsheets.finish(sheet)

    sheet = book.create_sheet(head["allocations"])
    money = [yen] * (len(project.items) + 4)
    spreadsheets.write_row(sheet, [head["code"], head["name"], *[i.name for i in project.items], head["setup"],
                                   head["total"], head["standalone"], head["savings"]])
    for tenant_id, a in sorted(allocated.items()):
        amounts = [a.lines.get(str(i.id), {}).get("amount_yen", 0) for i in project.items]
        setup = sum(line.get("setup_share_yen", 0) for line in a.lines.values())
        spreadsheets.write_row(sheet, [tenant_id, a.tenant.name(lang), *amounts, setup, a.total_yen,
                                       a.standalone_yen, a.savings_yen], ["@", None, *money])
    if allocated:
        spreadsheets.write_row(sheet, ["", head["sum"], *[None for _ in project.items], None,
                                       sum(a.total_yen for a in allocated.values()),
                                       sum(a.standalone_yen for a in allocated.values()),
                                       sum(a.savings_yen for a in allocated.values())], [None, None, *money])
    spreadsheets.finish(sheet)
    return spreadsheets.save(book)


# OCDS -------------------------------------------------------------------------------------------

def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _fy_period(start_fy: int, end_fy: int) -> dict[str, str]:
    start = datetime.combine(date(start_fy, 4, 1), time(0, 0), tzinfo=TOKYO)
    end = datetime.combine(date(end_fy + 1, 3, 31), time(23, 59, 59), tzinfo=TOKYO)
    return {"startDate": start.isoformat(), "endDate": end.isoformat()}


def _org_id(code: str) -> str:
    return f"{LG_SCHEME}-{code}"


def _yen(amount: int) -> dict[str, Any]:
    return {"amount": int(amount), "currency": "JPY"}


def _tender_status(status: str) -> str:
    return {"draft": "planning", "demand_survey": "planning", "survey_closed": "planned", "tendering": "active",
            "cancelled": "cancelled"}.get(status, "complete")


def _contract_status(status: str) -> str:
    return {"awarded": "pending", "contracted": "active", "completed": "terminated",
            "cancelled": "cancelled"}.get(status, "pending")


# OCDS procurementCategory of each unit: hardware and perpetual licences are goods; per-user,
# per-account and per-period subscriptions are services.
UNIT_CATEGORY = {"device": "goods", "licence": "goods", "set": "goods", "user": "services", "account": "services",
                 "year": "services", "month": "services"}
# The project status each release describes (a release carries the state at its own date).
STAGE_STATUS = {"planning": "demand_survey", "tender": "tendering", "award": "awarded", "contract": "contracted",
                "contractTermination": "completed", "tenderCancellation": "cancelled"}
INTERNAL_NOTICE = "主催者内部用：予算上限・関心表明・承認待ちを含みます。公開しないでください。"


def procurement_categories(project: Project) -> tuple[str, list[str]]:
    """mainProcurementCategory (the category of most items; services on a tie) and the others present."""
    counts: dict[str, int] = {}
    for item in project.items:
        category = UNIT_CATEGORY.get(item.unit, "services")
        counts[category] = counts.get(category, 0) + 1
    if not counts:
        return "services", []
    main = max(sorted(counts), key=lambda c: (counts[c], c == "services"))
    return main, sorted(c for c in counts if c != main)


def ocds_package(project: Project, prefix: str, base_url: str, internal: bool = False) -> dict[str, Any]:
    """An OCDS 1.1 release package: one release per stage reached (planning, tender, award, contract).

    The public package (default) carries nothing of ``procurement.confidential``: committed
    municipalities only, no budget ceilings, no personal data. ``internal=True`` is the organiser's
    working copy with every declaration and the budget breakdown, marked as such in the publisher.
    """
    ocid = f"{prefix}-{project.id}"
    everyone = [d for d in all_declarations(project) if d.status != "withdrawn"]
    declarations = everyone if internal else [d for d in everyone if publishable(d)]
    allocated = {a.tenant_id: a for a in allocations(project)}
    events = {e.to_status: e.occurred_at for e in project.events}
    stages: list[tuple[str, datetime]] = [("planning", events.get("demand_survey") or project.created_at)]
    for tag, status in STAGE_STATUS.items():
        if tag != "planning" and status in events:
            stages.append((tag, events[status]))
    agg = aggregate(project)
    releases = [_release(project, ocid, tag, when, declarations, allocated, agg, internal) for tag, when in stages]
    last = max(when for _tag, when in stages)
    publisher = "Yokoten（横展開ポータル）"
    return {
        "uri": f"{base_url}/procurement/{project.id}/ocds.json" + ("?scope=internal" if internal else ""),
        "version": "1.1",
        "extensions": OCDS_EXTENSIONS if internal else [e for e in OCDS_EXTENSIONS if "budget" not in e],
        "publishedDate": _iso(last),
        "publisher": {"name": f"{publisher}【{INTERNAL_NOTICE}】" if internal else publisher},
        "releases": releases,
    }


def _parties(project: Project, declarations: list[Declaration], stage: str, internal: bool) -> list[dict[str, Any]]:
    parties: dict[str, dict[str, Any]] = {}

    def party(pid: str, name: str, role: str, identifier: Optional[dict[str, str]] = None) -> None:
        entry = parties.setdefault(pid, {"id": pid, "name": name, "roles": []})
        if identifier:
            entry["identifier"] = identifier
        if role not in entry["roles"]:
            entry["roles"].append(role)

    organiser = project.organiser
    party(_org_id(organiser.code), organiser.name_ja, "procuringEntity",
          {"scheme": LG_SCHEME, "id": organiser.code, "legalName": organiser.name_ja})
    for d in declarations:  # committed municipalities are buyers; the others (internal only) declared an interest
        party(_org_id(d.tenant_id), d.tenant.name_ja, "buyer" if d.status == "committed" else "interestedParty",
              {"scheme": LG_SCHEME, "id": d.tenant_id, "legalName": d.tenant.name_ja})
        if internal and d.max_budget_yen is not None and d.status == "committed":
            party(_org_id(d.tenant_id), d.tenant.name_ja, "sourceParty")
    if stage != "planning":
        for quote in project.quotes:
            party(_vendor_id(quote), quote.vendor_name, "tenderer", _vendor_identifier(quote))
    if project.awarded_quote is not None and stage in ("award", "contract", "contractTermination"):
        quote = project.awarded_quote
        party(_vendor_id(quote), quote.vendor_name, "supplier", _vendor_identifier(quote))
    return list(parties.values())


def _vendor_id(quote: Any) -> str:
    return f"{CORPORATE_SCHEME}-{quote.vendor_identifier}" if quote.vendor_identifier else f"vendor-{quote.id}"


def _vendor_identifier(quote: Any) -> Optional[dict[str, str]]:
    if not quote.vendor_identifier:
        return None
    return {"scheme": CORPORATE_SCHEME, "id": quote.vendor_identifier, "legalName": quote.vendor_name}


def _unit(code: str) -> dict[str, Any]:
    return {"name": UNIT_NAMES_JA.get(code, code)}


def _items(project: Project, quantities: dict[int, int], prices: dict[int, int]) -> list[dict[str, Any]]:
    items = []
    for item in project.items:
        entry: dict[str, Any] = {"id": str(item.id), "description": item.name, "relatedLot": f"lot-{item.id}",
                                 "quantity": quantities.get(item.id, 0), "unit": _unit(item.unit)}
        if item.id in prices:
            entry["unit"]["value"] = _yen(prices[item.id])
        items.append(entry)
    return items


def _release(project: Project, ocid: str, tag: str, when: datetime, declarations: list[Declaration],
             allocated: dict[str, Allocation], agg: Aggregate, internal: bool) -> dict[str, Any]:
    # Public: committed quantities only (an interest is not a decision). Internal planning: declared.
    declared = {a.item_id: a.declared_quantity for a in agg.items}
    committed = {a.item_id: a.committed_quantity for a in agg.items}
    prices = {a.item_id: a.unit_price_yen for a in agg.items if a.unit_price_yen is not None}
    organiser = project.organiser
    period = _fy_period(project.contract_start_fy, project.contract_end_fy)
    status = STAGE_STATUS[tag]  # the state at this release's date, not today's
    tender_status = _tender_status(status)
    main_category, other_categories = procurement_categories(project)
    release: dict[str, Any] = {
        "ocid": ocid, "id": f"{ocid}-{tag}", "date": _iso(when), "tag": [tag], "initiationType": "tender",
        "language": "ja", "parties": _parties(project, declarations, tag, internal),
        "planning": {"rationale": project.description or project.title},
        "tender": {
            "id": f"{ocid}-tender", "title": project.title, "description": project.description or None,
            "status": tender_status,
            "procuringEntity": {"id": _org_id(organiser.code), "name": organiser.name_ja},
            "mainProcurementCategory": main_category,
            "items": _items(project, declared if internal and tag == "planning" else committed, prices),
            "lots": [{"id": f"lot-{i.id}", "title": i.name, "status": tender_status} for i in project.items],
            "contractPeriod": period,
        },
    }
    if other_categories:
        release["tender"]["additionalProcurementCategories"] = other_categories
    budgets = [d for d in declarations if d.max_budget_yen is not None and d.status == "committed"]
    if internal and budgets:  # one budget line per municipality that gave its maximum budget
        release["planning"]["budget"] = {
            "description": "参加団体の予算上限の合計（主催者内部用）",
            "amount": _yen(sum(d.max_budget_yen or 0 for d in budgets)),
            "budgetBreakdown": [{
                "id": d.tenant_id, "description": f"{d.tenant.name_ja}の予算上限",
                "amount": _yen(d.max_budget_yen or 0), "period": period,
                "sourceParty": {"id": _org_id(d.tenant_id), "name": d.tenant.name_ja}} for d in budgets]}
    if tag != "planning":
        release["tender"]["numberOfTenderers"] = len(project.quotes)
        release["tender"]["tenderers"] = [{"id": _vendor_id(q), "name": q.vendor_name} for q in project.quotes]
    quote = project.awarded_quote
    if quote is not None and tag in ("award", "contract", "contractTermination"):
        award_id = f"{ocid}-award-{quote.id}"
        release["awards"] = [{
            "id": award_id, "title": project.title, "status": "active",
            "date": _iso(project.awarded_at), "value": _yen(project.contract_total_yen or 0),
            "suppliers": [{"id": _vendor_id(quote), "name": quote.vendor_name}],
            "items": _items(project, committed, prices), "relatedLots": [f"lot-{i.id}" for i in project.items],
            "buyers": [{"id": _org_id(t), "name": a.tenant.name_ja} for t, a in sorted(allocated.items())],
            "contractPeriod": period}]
        if tag in ("contract", "contractTermination"):
            release["contracts"] = [{
                "id": f"{ocid}-contract-{tenant_id}", "awardID": award_id,
                "title": f"{project.title}（{a.tenant.name_ja}）",
                "status": _contract_status(status), "value": _yen(a.total_yen), "period": period,
                "buyer": {"id": _org_id(tenant_id), "name": a.tenant.name_ja},
                "items": [{"id": item_id, "quantity": line["quantity"],
                           "unit": {**_unit(project_item_unit(project, item_id)),
                                    "value": _yen(line["unit_price_yen"])},
                           "relatedLot": f"lot-{item_id}"}
                          for item_id, line in sorted(a.lines.items())],
            } for tenant_id, a in sorted(allocated.items())]
    return release


def project_item_unit(project: Project, item_id: str) -> str:
    item = project.item(int(item_id))
    return item.unit if item else ""


def base_url() -> str:
    """PORTAL_BASE_URL when configured (behind a proxy), else the request's own root."""
    from flask import current_app, request

    return str(current_app.config.get("PORTAL_BASE_URL") or request.url_root).rstrip("/")


def dumps(package: dict[str, Any]) -> str:
    return json.dumps(package, ensure_ascii=False, indent=2)
