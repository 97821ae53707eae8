"""Requests: drafting, the municipality's release, TMG's pipeline with who/when/why, SLAs and breaches."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kernel.errors import ServiceError
from kernel.extensions import db
from support import queries
from support.models import Engagement, StageEvent
from support.services import requests
from support.services.common import StaleVersion
from tests.factories.support import draft, released, theme_id
from tests.factories.tenants import user


def test_member_drafts_admin_releases_desk_receives(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = draft()
    assert engagement.release_state == "draft" and engagement.stage is None
    with pytest.raises(ServiceError):
        requests.approve_request(user("tenant_admin"), engagement, engagement.version)  # not proposed yet
    requests.propose_request(user("member"), engagement, engagement.version)
    with pytest.raises(ServiceError):
        requests.approve_request(user("member"), engagement, engagement.version)  # a member cannot release
    requests.approve_request(user("tenant_admin"), engagement, engagement.version)
    assert (engagement.release_state, engagement.stage) == ("submitted", "intake")
    desk = user("supporter")
    assert queries.get_engagement(engagement.id) is not None  # the desk sees it through support_desk
    event = requests.move_stage(desk, engagement, "prioritise", "", engagement.version)
    assert (event.from_stage, event.to_stage, event.actor_name) == ("intake", "prioritise", "都庁 伴走 支援（東京都）")
    assert [e.to_stage for e in queries.stage_events(engagement)] == ["intake", "prioritise"]


def test_hold_and_decline_need_a_reason_and_only_known_moves(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = released()
    desk = user("supporter")
    with pytest.raises(ServiceError) as refused:
        requests.move_stage(desk, engagement, "on_hold", "  ", engagement.version)
    assert refused.value.field == "reason"
    with pytest.raises(ServiceError):
        requests.move_stage(desk, engagement, "done", "", engagement.version)  # intake → done is no move
    requests.move_stage(desk, engagement, "on_hold", "予算の確定待ち", engagement.version)
    events = db.session.scalars(select(StageEvent).where(StageEvent.engagement_id == engagement.id)).all()
    assert events[-1].reason == "予算の確定待ち"


def test_stale_version_refused_and_nothing_written(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = released()
    desk = user("supporter")
    old = engagement.version
    requests.move_stage(desk, engagement, "prioritise", "", old)
    with pytest.raises(StaleVersion):
        requests.move_stage(desk, engagement, "declined", "重複", old)
    assert engagement.stage == "prioritise"
    assert len(queries.stage_events(engagement)) == 2


def test_only_the_desk_moves_and_curators_see_nothing(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = released()
    engagement_id = engagement.id
    with pytest.raises(ServiceError):
        requests.move_stage(user("tenant_admin"), engagement, "prioritise", "", engagement.version)
    user("curator")  # TMG bound, but not the supporter role: RLS admits nothing
    db.session.expire_all()
    assert queries.get_engagement(engagement_id) is None
    user("other_admin")
    assert queries.get_engagement(engagement_id) is None


def test_draft_is_invisible_to_the_desk(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement_id = draft(title="まだ庁内の下書き").id
    user("supporter")
    db.session.expire_all()
    assert queries.get_engagement(engagement_id) is None


def test_double_submit_returns_the_first_request(app_ctx) -> None:  # type: ignore[no-untyped-def]
    member = user("member")
    data = requests.RequestData(title="二重送信テスト", theme_id=theme_id(), problem="問題", department="課")
    first = requests.create_request(member, data, "a1b2c3d4e5f6a7b8")
    second = requests.create_request(member, data, "a1b2c3d4e5f6a7b8")
    assert first.id == second.id
    assert db.session.scalar(select(Engagement.id).where(Engagement.title == "二重送信テスト").limit(2)) == first.id


def test_time_in_stage_sla_and_breaches(app_ctx) -> None:  # type: ignore[no-untyped-def]
    engagement = released(title="SLA超過のテスト")
    user("supporter")
    requests.set_service_levels(user("supporter"), {"intake": 3})
    engagement.stage_entered_at = datetime.now(UTC) - timedelta(days=5)
    db.session.flush()
    rows = queries.desk_rows(queries.DeskFilters(stage="intake", tenant_id=engagement.tenant_id))
    row = next(r for r in rows if r.engagement.id == engagement.id)
    assert (row.days_in_stage, row.sla_days, row.breached) == (5, 3, True)
    assert all(r.engagement.tenant_id == engagement.tenant_id for r in rows)
    assert not queries.desk_rows(queries.DeskFilters(kind="special_ward", tenant_id=engagement.tenant_id))


def test_request_pages_as_member_and_admin(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    page = client.get("/support/new")
    assert page.status_code == 200 and "支援依頼" in page.get_data(as_text=True)
    bad = client.post("/support/new", data={"title": "", "theme_id": "0", "problem": "", "department": ""})
    assert bad.status_code == 400
    created = client.post("/support/new", data={
        "title": "窓口のBPR（画面テスト）", "theme_id": "1", "problem": "待ち時間が長い", "department": "市民課",
        "form_token": "feedc0ffee123456"})
    assert created.status_code == 303
    location = created.headers["Location"]
    again = client.post("/support/new", data={
        "title": "窓口のBPR（画面テスト）", "theme_id": "1", "problem": "待ち時間が長い", "department": "市民課",
        "form_token": "feedc0ffee123456"})
    assert again.headers["Location"] == location  # the double submit lands on the same request
    response = client.get(location)
    detail = response.get_data(as_text=True)
    assert response.status_code == 200 and "下書き" in detail and "承認を依頼" in detail
