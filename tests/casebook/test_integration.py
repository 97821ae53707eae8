"""The contract the awards domain codes against (casebook.integration)."""
from __future__ import annotations

from sqlalchemy import select

from casebook.integration import case_prefill, create_case_from_award
from casebook.models import Case, CaseVersion, Submission
from kernel.extensions import db
from tenants.context import bind_tenant, current_tenant_id
from tests.factories.casebook import make_case
from tests.factories.tenants import user_of


def test_case_prefill_returns_strings_for_the_bound_tenant_only(app_ctx) -> None:  # type: ignore[no-untyped-def]
    case = make_case("132055", "member@ome.example.jp", themes=["窓口改革", "BPR"], tools=["RPA"],
                     problem="課題", approach="取組", outcomes="効果")
    fields = case_prefill(case.id)
    assert fields == {"title": "テスト事例", "summary": "概要です。", "problem": "課題", "approach": "取組",
                      "outcomes": "効果", "themes": "窓口改革、BPR", "tools": "RPA"}
    bind_tenant("131083")
    assert case_prefill(case.id) is None
    bind_tenant(None)
    assert case_prefill(case.id) is None
    bind_tenant("132055")
    assert case_prefill(10**12) is None


def test_create_case_from_award_lands_in_the_curators_queue(app_ctx) -> None:  # type: ignore[no-untyped-def]
    curator = user_of("130001", "curator@metro.tokyo.example.jp")
    fields = {"title": "受賞事例", "summary": "概要", "problem": "課題", "approach": "取組", "outcomes": "効果",
              "themes": "窓口改革、BPR", "tools": "RPA"}
    case_id = create_case_from_award("131083", fields, "令和8年度 区市町村DXアワード 大賞", curator.id)
    assert current_tenant_id() == "130001"  # the caller's binding is restored
    submission = db.session.scalar(select(Submission).where(Submission.source_case_id == case_id))
    assert submission is not None and submission.status == "queued" and submission.source_tenant_id == "131083"
    assert submission.data["themes"] == ["窓口改革", "BPR"]
    bind_tenant("131083")
    case = db.session.get(Case, ("131083", case_id))
    assert case is not None and case.release_state == "approved" and "アワード" in case.origin
    assert db.session.get(CaseVersion, ("131083", case_id, 1)) is not None
    bind_tenant("132055")
    db.session.expunge_all()
    assert db.session.scalar(select(Case).where(Case.id == case_id)) is None


def test_create_case_from_award_refuses_bad_input(app_ctx) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from kernel.errors import ServiceError

    curator = user_of("130001", "curator@metro.tokyo.example.jp")
    for tenant, fields in (("999999", {"title": "x"}), ("13108", {"title": "x"}), ("131083", {"title": ""}),
                           ("131083", {"title": 5})):
        with pytest.raises(ServiceError):
            create_case_from_award(tenant, fields, "賞", curator.id)  # type: ignore[arg-type]
    assert current_tenant_id() == "130001"
