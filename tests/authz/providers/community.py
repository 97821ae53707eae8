"""Objects of the CIO forum for the authorization matrix: one forum per test (tests/factories/community.py)."""
from __future__ import annotations

import itertools

from flask import g

from tests.authz.providers import provides


def _forum():  # type: ignore[no-untyped-def]
    if "community_forum" not in g:
        from tests.factories.community import build

        g.community_forum = build()
    return g.community_forum


@provides("community_body")
def community_body(owner: str) -> str:
    return str(_forum().body_id)


@provides("community_meeting")
def community_meeting(owner: str) -> str:
    return str(_forum().past_id)


@provides("community_item")
def community_item(owner: str) -> str:
    return str(_forum().closed_item)


@provides("community_material")
def community_material(owner: str) -> str:
    return str(_forum().closed_material)


@provides("community_amendment")
def community_amendment(owner: str) -> str:
    return str(_forum().amendment_id)


@provides("community_action")
def community_action(owner: str) -> str:
    return str(_forum().action_id)


@provides("community_nonmember")
def community_nonmember(owner: str) -> str:
    _forum()
    return "131016"  # 千代田区, not a member of the test forum


def _talent():  # type: ignore[no-untyped-def]
    """A department, promoter and training plan in 青梅市 (own) and in 江東区 (other)."""
    if "community_talent" not in g:
        from datetime import date

        from community.services import talent
        from tenants.context import bind_tenant
        from tests.factories.community import KOTO, OME, user

        made = {}
        for owner, tenant, email in (("own", OME, "admin@ome.example.jp"), ("other", KOTO, "admin@koto.example.jp")):
            admin = user(tenant, email)
            department = talent.add_department(admin, "情報政策課")
            promoter = talent.appoint(admin, department, admin.id, "", "", date(2026, 4, 1), None)
            plan = talent.create_plan(admin, 2026, "DX人材育成計画")
            course = talent.add_course(admin, plan, "データ活用研修", ["promoter"], 6, 20)
            made[owner] = (promoter.id, plan.id, department.id, course.id, admin.id)
        bind_tenant(None)
        g.community_talent = made
    return g.community_talent


@provides("community_promoter")
def community_promoter(owner: str) -> str:
    return str(_talent()[owner][0])


@provides("community_plan")
def community_plan(owner: str) -> str:
    return str(_talent()[owner][1])


_FRESH = itertools.count(1)


@provides("community_fresh")
def community_fresh(owner: str) -> str:
    """A number not used before in this process: a new body's name must be unique."""
    return str(next(_FRESH))


@provides("community_future_meeting")
def community_future_meeting(owner: str) -> str:
    """The test forum's next meeting (in ten days), open for registration."""
    return str(_forum().future_id)


@provides("community_department")
def community_department(owner: str) -> str:
    return str(_talent()[owner][2])


@provides("community_course")
def community_course(owner: str) -> str:
    """The training plan's course (a new plan and course per call)."""
    return str(_talent()[owner][3])


@provides("community_admin")
def community_admin(owner: str) -> str:
    """The id of the municipality's administrator (tenant_admin's account for own)."""
    return str(_talent()[owner][4])


def _ome_member_registered() -> int:
    """青梅市's member registered as an attendee of the forum's past meeting (as the factory registers 江東区's
    admin: through the table); the registration's id."""
    if "community_ome_registration" not in g:
        from community.models import Registration
        from kernel.extensions import db
        from tests.factories.community import OME, user

        forum = _forum()
        member = user(OME, "member@ome.example.jp")
        row = Registration(meeting_id=forum.past_id, attendee_tenant=OME, attendee_user_id=member.id,
                           display_name=member.display_name, attendance="in_person")
        db.session.add(row)
        db.session.flush()
        g.community_ome_registration = row.id
    return int(g.community_ome_registration)


@provides("community_attended_meeting")
def community_attended_meeting(owner: str) -> str:
    """The past meeting (its minutes in review), 青梅市's member among its attendees: she may propose wording."""
    _ome_member_registered()
    return str(_forum().past_id)


@provides("community_public_item")
def community_public_item(owner: str) -> str:
    return str(_forum().public_item)


@provides("community_member_action")
def community_member_action(owner: str) -> str:
    """An action of the past meeting owned by 青梅市's member in person (she may link to it)."""
    from datetime import timedelta

    from community.models import Meeting
    from community.services import actions
    from community.services.common import utcnow
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tenants.models import TMG_CODE
    from tests.factories.community import OME, user

    registration = _ome_member_registered()
    forum = _forum()
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    action = actions.create_action(curator, db.session.get(Meeting, forum.past_id), actions.ActionData(
        "庁内展開の報告", "", OME, registration, (utcnow() + timedelta(days=20)).date(), forum.public_item))
    bind_tenant(None)
    return str(action.id)


def _meeting_with_minutes(review: bool) -> int:
    """Another past meeting of the forum's body with draft minutes (``review``: opened to the attendees)."""
    from datetime import timedelta

    from community.models import Body
    from community.services import meetings, minutes
    from community.services.common import utcnow
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tenants.models import TMG_CODE
    from tests.factories.community import user

    forum = _forum()
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    start = utcnow() - timedelta(days=2)
    meeting = meetings.create_meeting(curator, db.session.get(Body, forum.body_id), meetings.MeetingData(
        "臨時会", start, start + timedelta(hours=1), "都庁第一本庁舎", ""))
    item = meetings.add_item(curator, meeting, "標準化の進捗", "各団体の状況", "public")
    minutes.save_draft(curator, meeting, "概要", {item.id: "進捗の記録"}, None)
    if review:
        minutes.open_review(curator, meeting, 7)
    bind_tenant(None)
    return int(meeting.id)


@provides("community_draft_minutes")
def community_draft_minutes(owner: str) -> str:
    """A past meeting whose minutes are a draft not yet opened for review."""
    return str(_meeting_with_minutes(review=False))


@provides("community_review_minutes")
def community_review_minutes(owner: str) -> str:
    """A past meeting whose minutes are in review, no amendment proposed (publishable by ending it early)."""
    return str(_meeting_with_minutes(review=True))
