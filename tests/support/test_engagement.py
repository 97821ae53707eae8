"""Staffing by skill, the workspace, outcomes, survey, the hand-over to the casebook and the management figures."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from kernel.errors import ServiceError
from kernel.extensions import db
from support import queries, reports
from support.models import Skill
from support.services import closing, requests, staffing, workspace
from tests.factories.support import released, supporter_profile
from tests.factories.tenants import user


def _skill(category: str) -> Skill:
    found = db.session.scalar(select(Skill).where(Skill.category == category))
    assert found is not None
    return found


def _active(title: str = "伴走テスト"):  # type: ignore[no-untyped-def]
    engagement = released(title)
    desk = user("supporter")
    for stage in ("prioritise", "qualify", "plan", "active"):
        requests.move_stage(desk, engagement, stage, "", engagement.version)
    return engagement


def test_suggestions_rank_by_skill_then_free_capacity_with_reason(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = released("スキルで提案するテスト")
    bpr, data = _skill("bpr"), _skill("data")
    desk = user("supporter")
    requests.set_plan(desk, engagement, "業務フローの可視化", [bpr.id], engagement.version)
    loads = {load.supporter.display_name: load for load in queries.supporter_loads()}
    assert {"都庁 伴走 支援", "GovTech 伴走 データ"} <= set(loads)  # demo profiles
    ranked = queries.suggestions(engagement)
    first = ranked[0]
    assert first.load.supporter.display_name == "都庁 伴走 支援"  # BPR level 4 beats level 2
    assert [(s.id, level) for s, level in first.matched] == [(bpr.id, 4)]
    requests.set_plan(desk, engagement, "データ分析", [data.id], engagement.version)
    assert queries.suggestions(engagement)[0].load.supporter.display_name == "GovTech 伴走 データ"


def test_assignment_notifies_and_counts_in_load(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from kernel.notifications import Notification

    engagement = _active("負荷のテスト")
    profile = supporter_profile()
    before = next(x for x in queries.supporter_loads() if x.supporter.user_id == profile.user_id).planned_hours
    staffing.assign(user("supporter"), engagement, profile, 12, True, "BPR", engagement.version)
    after = next(x for x in queries.supporter_loads() if x.supporter.user_id == profile.user_id)
    assert after.planned_hours == before + 12
    with pytest.raises(ServiceError):
        staffing.assign(user("supporter"), engagement, profile, 12, True, "", engagement.version)
    member = user("member")
    told = db.session.scalars(select(Notification.kind).where(
        Notification.tenant_id == member.tenant_id, Notification.user_id == member.id,
        Notification.url == f"/support/{engagement.id}")).all()
    assert "support.staffed" in told
    supporter = user("supporter")
    assert "support.assigned" not in db.session.scalars(select(Notification.kind).where(
        Notification.user_id == supporter.id, Notification.url == f"/support/{engagement.id}")).all()  # own step


def test_workspace_time_outcomes_and_double_submit(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = _active("作業記録のテスト")
    staffing.assign(user("supporter"), engagement, supporter_profile(), 10, True, "", engagement.version)
    desk = user("supporter")
    first = workspace.log_time(desk, engagement, date(2026, 11, 2), "workshop", "１.５", "職員向け", "tok12345678")
    again = workspace.log_time(desk, engagement, date(2026, 11, 2), "workshop", "1.5", "職員向け", "tok12345678")
    assert first.id == again.id and first.minutes == 90
    with pytest.raises(ServiceError):
        workspace.log_time(user("member"), engagement, date(2026, 11, 2), "meeting", "1", "")  # not a supporter
    with pytest.raises(ServiceError) as bad:
        workspace.log_time(desk, engagement, date(2026, 11, 2), "meeting", "25", "")
    assert bad.value.field == "hours"
    member = user("member")
    outcome = workspace.save_outcome(member, engagement, {
        "indicator": "staff_hours", "unit": "時間/年", "baseline_value": "1,200", "baseline_on": date(2026, 4, 1),
        "baseline_source": "業務量調査", "after_value": "450", "after_on": date(2026, 10, 1),
        "after_source": "システム集計"})
    assert (outcome.baseline_value, outcome.after_value) == (Decimal("1200.00"), Decimal("450.00"))
    with pytest.raises(ServiceError) as early:
        workspace.save_outcome(member, engagement, {
            "indicator": "processing_days", "baseline_value": "10", "baseline_on": date(2026, 4, 1),
            "baseline_source": "x", "after_value": "3", "after_on": date(2026, 3, 1), "after_source": "y"})
    assert early.value.field == "after_on"
    kinds = {item.kind for item in queries.timeline(engagement)}
    assert {"stage", "time", "outcome", "assignment"} <= kinds


def test_survey_handover_and_published_case_says_supported_by_tmg(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from casebook import curation
    from casebook.models import Case, Entry, Submission
    from casebook.services import approve_release, propose_case

    engagement = _active("学童クラブ入会申請のBPR（引継ぎテスト）")
    member = user("member")
    workspace.add_meeting(member, engagement, date(2026, 11, 1), "定例", "", "内部メモ：担当者の異動予定")
    workspace.save_outcome(member, engagement, {
        "indicator": "staff_hours", "unit": "時間/年", "baseline_value": "1200", "baseline_on": date(2026, 4, 1),
        "baseline_source": "業務量調査", "after_value": "450", "after_on": date(2026, 10, 1),
        "after_source": "システム集計"})
    with pytest.raises(ServiceError):
        closing.answer_survey(member, engagement, 5, "")  # not completed yet
    requests.move_stage(user("supporter"), engagement, "done", "", engagement.version)
    member = user("member")
    with pytest.raises(ServiceError):
        closing.answer_survey(member, engagement, 6, "")
    closing.answer_survey(member, engagement, 4, "助かりました")
    with pytest.raises(ServiceError):
        closing.answer_survey(member, engagement, 5, "")  # once
    fields = closing.handover_prefill(engagement)
    assert "1,200時間/年" in fields["outcomes"] and "450時間/年" in fields["outcomes"]
    case_id = closing.hand_over(member, engagement, {**fields, "lessons": "最初に申請項目を棚卸しする"},
                                engagement.version)
    assert closing.hand_over(member, engagement, fields, None) == case_id  # a second click: the same case
    case = db.session.get(Case, ("132055", case_id))
    assert case is not None and case.release_state == "draft" and "内部メモ" not in str(case.content())
    assert case.kpis[0]["before"] == "1,200" and case.kpis[0]["after"] == "450"
    propose_case(case, member.id)
    admin = user("tenant_admin")
    submission = approve_release(case, admin.id)
    user("curator")
    entry = curation.publish(db.session.get(Submission, submission.id), user("curator").id)
    assert entry.supported_by_tmg is True
    assert "内部メモ" not in str(entry.content()) and "助かりました" not in str(entry.content())
    assert db.session.scalar(select(Entry.supported_by_tmg).where(Entry.id == entry.id)) is True


def test_management_report_and_excel(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    user("supporter")
    report = reports.build_report()
    bpr_like = {t.theme.code: t for t in report.themes}
    online = bpr_like["online_application"]  # the demo's completed 江東区 engagement
    assert online.per_stage["done"] >= 1 and online.hours_saved >= Decimal("1850")
    assert online.csat and online.mean_csat == Decimal("5.0")
    data = reports.workbook(report, str, "ja")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["テーマ別", "支援者別"]
    header = [c.value for c in book["テーマ別"][1]]
    assert header[0] == "テーマ" and "削減時間（年）" in header


def test_management_page_and_openapi(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("supporter")
    page = client.get("/support/desk/management")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    export = client.get("/support/desk/management.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/support/engagements" in document["paths"]
    assert "/api/v1/support/engagements/{engagement_id}" in document["paths"]
    listing = client.get("/api/v1/support/engagements").get_json()["engagements"]
    assert listing and all(e["release_state"] == "submitted" for e in listing)
