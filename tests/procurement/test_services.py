"""Services: lifecycle, declarations, deadline, approval, pooled totals, award with exact yen."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.errors import ServiceError
from kernel.extensions import db
from procurement import common, declarations, queries, services
from procurement.allocation import Tier
from procurement.common import MAX_YEN
from procurement.models import Allocation, Declaration, DemandTotal, Participation, Project, StatusEvent
from tenants.context import bind_tenant
from tests.factories.awards import pdf_bytes
from tests.factories.procurement import declare, make_project, user


def _totals(project):  # type: ignore[no-untyped-def]
    row = db.session.scalar(select(DemandTotal).where(DemandTotal.project_id == project.id))
    part = db.session.get(Participation, project.id)
    return row.declared_quantity, row.committed_quantity, part.declared, part.committed


def test_lifecycle_only_legal_moves_each_audited_and_on_the_timeline(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project(status="draft")
    curator = user("curator")
    with pytest.raises(ServiceError, match="この状態からその状態へは移れません"):
        services.transition(curator, project, "tendering")
    with pytest.raises(ServiceError, match="落札"):
        services.transition(curator, project, "awarded")
    services.transition(curator, project, "demand_survey")
    services.transition(curator, project, "survey_closed")
    with pytest.raises(ServiceError, match="中止の理由"):
        services.transition(curator, project, "cancelled", "  ")
    services.transition(curator, project, "cancelled", "予算が確保できなかったため")
    with pytest.raises(ServiceError):
        services.transition(curator, project, "demand_survey")  # cancelled is final
    steps = [(e.from_status, e.to_status) for e in db.session.scalars(
        select(StatusEvent).where(StatusEvent.project_id == project.id).order_by(StatusEvent.id))]
    assert steps == [(None, "draft"), ("draft", "demand_survey"), ("demand_survey", "survey_closed"),
                     ("survey_closed", "cancelled")]
    audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "procurement.project_status", AuditEntry.object_id == str(project.id)))
    assert audited == 3
    assert project.cancel_reason == "予算が確保できなかったため"


def test_only_the_organiser_moves_a_project(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project(status="draft")
    for who in ("tenant_admin", "member", "judge"):
        with pytest.raises(ServiceError, match="権限"):
            services.transition(user(who), project, "demand_survey")
    ome_project = make_project(organiser="tenant_admin", title="青梅市主催")
    assert ome_project.organiser_tenant_id == "132055"
    with pytest.raises(ServiceError, match="権限"):
        services.transition(user("curator"), ome_project, "survey_closed")
    with pytest.raises(ServiceError, match="権限"):
        make_project(organiser="member")


def test_declare_edit_withdraw_keeps_pooled_totals_exact(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    d = declare(project, "member", [40])
    assert d.status == "interested" and d.version == 1
    assert _totals(project) == (40, 0, 1, 0)
    declare(project, "other_member", [120])
    assert _totals(project) == (160, 0, 2, 0)
    d = declare(project, "member", [50], version=1)
    assert d.version == 2 and _totals(project) == (170, 0, 2, 0)
    declare(project, "member", [50], intent="withdraw", version=2)
    assert _totals(project) == (120, 0, 1, 0)
    bind_tenant("132055")
    assert db.session.scalar(select(func.count()).select_from(Declaration).where(
        Declaration.project_id == project.id)) == 1  # 青梅市 sees only its own row


def test_commit_needs_the_admins_approval(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    d = declare(project, "member", [40], intent="commit")
    assert d.status == "pending_approval" and d.approved_at is None
    assert _totals(project) == (40, 0, 1, 0)
    with pytest.raises(ServiceError, match="権限"):
        declarations.approve_declaration(user("member"), project)
    with pytest.raises(ServiceError, match="承認待ち"):
        declarations.approve_declaration(user("other_admin"), project)  # 江東区 has nothing pending
    d = declarations.approve_declaration(user("tenant_admin"), project)
    assert d.status == "committed" and d.approved_at is not None
    assert _totals(project) == (40, 40, 1, 1)
    # a member changing the quantity of a committed declaration sends it back for approval
    d = declare(project, "member", [45], intent="commit", version=d.version)
    assert d.status == "pending_approval" and _totals(project) == (45, 0, 1, 0)
    # an admin's own commitment is its approval
    d2 = declare(project, "other_admin", [10], intent="commit")
    assert d2.status == "committed" and d2.approved_by_user_id is not None


def test_deadline_is_enforced_in_the_service(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = make_project(closes_in=timedelta(hours=2))
    declare(project, "member", [40])
    late = project.survey_closes_at + timedelta(seconds=1)
    monkeypatch.setattr(common, "now", lambda: late)
    with pytest.raises(common.Conflict, match="受付期間外"):
        declare(project, "member", [41], version=1)
    with pytest.raises(common.Conflict):
        declare(project, "other_member", [5])
    monkeypatch.setattr(common, "now", lambda: project.survey_closes_at - timedelta(seconds=1))
    assert declare(project, "member", [41], version=1).version == 2


def test_deadline_in_tokyo_time(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kernel.i18n import TOKYO

    project = make_project()
    project.survey_closes_at = datetime(2027, 1, 31, 17, 0, tzinfo=TOKYO)  # 17:00 JST = 08:00 UTC
    project.survey_opens_at = datetime(2027, 1, 1, tzinfo=TOKYO)
    assert declarations.survey_is_open(project, datetime(2027, 1, 31, 7, 59, 59, tzinfo=UTC))
    assert not declarations.survey_is_open(project, datetime(2027, 1, 31, 8, 0, 0, tzinfo=UTC))


def test_closed_survey_refuses_changes(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    declare(project, "member", [40], intent="commit")
    services.transition(user("curator"), project, "survey_closed")
    with pytest.raises(common.Conflict, match="受付期間外"):
        declare(project, "member", [41], version=1)
    with pytest.raises(common.Conflict):
        declarations.approve_declaration(user("tenant_admin"), project)


def test_stale_edit_conflicts_and_double_submit_is_one_row(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    declare(project, "member", [40])
    declare(project, "member", [40])  # the same new-declaration form submitted twice
    assert _totals(project) == (40, 0, 1, 0)
    declare(project, "tenant_admin", [60], version=1)  # the admin edits
    with pytest.raises(common.Conflict, match="他の人"):
        declare(project, "member", [45], version=1)  # the member's form is stale
    assert _totals(project) == (60, 0, 1, 0)


def test_bad_input_is_refused_with_a_message(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    for quantities, message in (([0], "少なくとも1つ"), ([-1], "数量は0以上"), ([10_000_001], "数量は0以上")):
        with pytest.raises(ServiceError, match=message):
            declare(project, "member", quantities)
    with pytest.raises(ServiceError, match="予算上限額"):
        declare(project, "member", [1], budget=-5)
    assert _totals(project) == (0, 0, 0, 0)
    with pytest.raises(ServiceError, match="TMG|権限"):
        declare(project, "curator", [1])


def test_award_allocates_exact_yen_to_committed_participants(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    declare(project, "tenant_admin", [40], intent="commit", budget=200_000)
    declare(project, "other_admin", [120], intent="commit")
    declare(project, "chiyoda_cio", [60], intent="commit")
    declare(project, "chiyoda_member", [61], intent="commit", version=1)  # edit by a member: back to pending
    curator = user("curator")
    with pytest.raises(ServiceError, match="入札"):
        services.award(curator, project, project.quotes[0].id)
    services.transition(curator, project, "survey_closed")
    services.transition(curator, project, "tendering")
    with pytest.raises(ServiceError, match="権限"):
        services.award(user("tenant_admin"), project, project.quotes[0].id)
    curator = user("curator")  # binds TMG again, as a request of the curator would
    services.award(curator, project, project.quotes[0].id)
    # 千代田区 is pending again, so only 青梅 40 + 江東 120 = 160 → tier 100+ at 800円, fee 100,000円
    assert project.status == "awarded"
    assert project.contract_total_yen == 160 * 800 + 100_000 == 228_000
    shares = {a.tenant_id: a.total_yen for a in queries.allocations(project)}  # the organiser sees all
    assert shares == {"132055": 32_000 + 25_000, "131083": 96_000 + 75_000}
    assert sum(shares.values()) == 228_000
    assert project.standalone_total_yen == (40_000 + 100_000) + (96_000 + 100_000)
    bind_tenant("132055")
    own = db.session.scalars(select(Allocation).where(Allocation.project_id == project.id)).all()
    assert [(a.tenant_id, a.total_yen, a.standalone_yen) for a in own] == [("132055", 57_000, 140_000)]
    agg = queries.aggregate(project, "132055")
    assert agg.own is not None and agg.own["allocation"].total_yen == 57_000
    bind_tenant("131016")
    assert db.session.scalars(select(Allocation).where(Allocation.project_id == project.id)).all() == []


def test_estimate_for_a_participant_uses_only_the_pooled_totals(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    declare(project, "member", [40])
    declare(project, "other_member", [70])
    user("member")  # bound as 青梅市, as its member's request would be
    agg = queries.aggregate(project, "132055")
    assert agg.declared == 2 and agg.items[0].declared_quantity == 110 and agg.items[0].unit_price_yen == 800
    assert agg.items[0].next_tier == (140, 700)
    # 40 × 800 + 100,000 × 40/110 (36,363.6 → 36,364 by largest remainder)
    assert agg.own is not None and agg.own["estimate_yen"] == 32_000 + 36_364
    assert agg.own["standalone_yen"] == 40 * 1000 + 100_000


def test_quote_validation(ctx) -> None:  # type: ignore[no-untyped-def]
    from procurement.allocation import Tier

    project = make_project(with_quote=False)
    curator = user("curator")
    item = project.items[0].id
    with pytest.raises(ServiceError, match="単価が上がる"):
        services.add_quote(curator, project, "A社", "", "", {item: (0, [Tier(1, 100), Tier(10, 200)])})
    with pytest.raises(ServiceError, match="法人番号"):
        services.add_quote(curator, project, "A社", "12", "", {item: (0, [Tier(1, 100)])})
    with pytest.raises(ServiceError, match="すべての品目"):
        services.add_quote(curator, project, "A社", "", "", {})
    quote = services.add_quote(curator, project, "A社", "", "", {item: (5, [Tier(1, 100), Tier(10, 90)])})
    assert [(t.min_quantity, t.unit_price_yen) for t in quote.lines[0].tiers] == [(1, 100), (10, 90)]


def test_pressing_the_same_status_button_twice_is_harmless(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project(status="draft")
    curator = user("curator")
    version = project.version
    services.transition(curator, project, "demand_survey", version=version)
    services.transition(curator, project, "demand_survey", version=version)  # the double click
    assert [e.to_status for e in project.events] == ["draft", "demand_survey"]
    with pytest.raises(common.Conflict):
        services.transition(curator, project, "survey_closed", version=version)  # a stale page


def test_the_project_page_reads_what_the_entities_hold(ctx) -> None:  # type: ignore[no-untyped-def]
    """The project page reads plain rows (procurement/project_page.py); they give the same project, aggregate and
    own declaration as the entities and ``queries.aggregate``, before the award and after it (with allocation)."""
    from procurement import project_page

    project = make_project(items=(("AI-OCR ライセンス", "licence"), ("保守", "year")))
    services.add_quote(user("curator"), project, "株式会社安価", None, "",
                       {item.id: (50_000, [Tier(1, 900), Tier(50, 600)]) for item in project.items})
    declare(project, "tenant_admin", [40, 3], intent="commit", budget=200_000)
    declare(project, "other_admin", [120, 0], intent="commit", budget=None)
    declare(project, "chiyoda_member", [7, 1])
    # The largest amounts a quote takes read exactly (JSON integers are Python ints, never floats).
    services.add_quote(user("curator"), project, "Big Vendor", None, "",
                       {item.id: (MAX_YEN - 1, [Tier(1, MAX_YEN - 3)]) for item in project.items})
    services.add_document(user("curator"), project, "仕様書", "spec.pdf", pdf_bytes())

    def same(tenant: str) -> None:
        bind_tenant(tenant)
        db.session.expire_all()
        entity = db.session.get(Project, project.id)
        page = project_page.load(project.id, tenant)
        assert page is not None
        view, expected = page.project, queries.aggregate(entity, tenant)
        for name in ("id", "organiser_tenant_id", "title", "description", "category", "status", "survey_opens_at",
                     "survey_closes_at", "contract_start_fy", "contract_end_fy", "cancel_reason", "awarded_quote_id",
                     "contract_total_yen", "standalone_total_yen", "version"):
            assert getattr(view, name) == getattr(entity, name), name
        assert view.organiser.name("en") == entity.organiser.name("en")
        assert [(i.id, i.name, i.unit) for i in view.items] == [(i.id, i.name, i.unit) for i in entity.items]
        assert [(e.to_status, e.reason, e.occurred_at) for e in view.events] == \
            [(e.to_status, e.reason, e.occurred_at) for e in entity.events]
        # The page prints the instants as they come (<time datetime>): the JSON's text gives the driver's offset.
        assert [e.occurred_at.isoformat() for e in view.events] == [e.occurred_at.isoformat() for e in entity.events]
        assert (view.survey_opens_at.isoformat(), view.survey_closes_at.isoformat()) == \
            (entity.survey_opens_at.isoformat(), entity.survey_closes_at.isoformat())
        assert [(d.id, d.title, d.filename, d.size) for d in view.documents] == \
            [(d.id, d.title, d.filename, d.size) for d in entity.documents]
        assert [(q.id, q.vendor_name, [(line.item_id, line.setup_fee_yen, list(line.tiers)) for line in q.lines])
                for q in view.quotes] == \
            [(q.id, q.vendor_name, [(line.item_id, line.setup_fee_yen,
                                     [Tier(t.min_quantity, t.unit_price_yen) for t in line.tiers])
                                    for line in q.lines]) for q in entity.quotes]
        got = page.aggregate
        assert (got.declared, got.committed, got.items, got.estimated_total_yen) == \
            (expected.declared, expected.committed, expected.items, expected.estimated_total_yen)
        assert (got.quote.id if got.quote else None) == (expected.quote.id if expected.quote else None)
        assert got.own is not None and expected.own is not None
        assert (got.own["estimate_yen"], got.own["standalone_yen"]) == \
            (expected.own["estimate_yen"], expected.own["standalone_yen"])
        own, theirs = got.own["declaration"], expected.own["declaration"]
        assert (own.status, own.max_budget_yen, own.version, own.quantities()) == \
            (theirs.status, theirs.max_budget_yen, theirs.version, theirs.quantities())
        def shares(a):  # type: ignore[no-untyped-def]
            return None if a is None else (a.total_yen, a.standalone_yen, a.savings_yen)

        assert shares(got.own["allocation"]) == shares(expected.own["allocation"])

    for tenant in ("132055", "131083", "131016"):
        same(tenant)
    curator = user("curator")
    services.transition(curator, project, "survey_closed")
    services.transition(curator, project, "tendering")
    services.award(user("curator"), project, project.quotes[1].id)
    for tenant in ("132055", "131083"):
        same(tenant)
        assert project_page.load(project.id, tenant).aggregate.own["allocation"] is not None  # type: ignore[union-attr,index]
    bind_tenant("130001")
    page = project_page.load(project.id, None)
    assert page is not None and page.aggregate.own is None and page.project.awarded_quote is not None
    assert project_page.load(10**12, None) is None
