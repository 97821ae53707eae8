"""A CIO forum for tests and the authorization matrix (inside the test's rolled-back transaction).

東京都・区市町村CIOフォーラム（テスト）: members 江東区 (other) and 青梅市 (own); 千代田区 is not a member.
A past meeting (its minutes in review, 江東区's admin registered) with a public and a closed item,
a material on each; a future meeting; an action owned by 青梅市 from the past meeting.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import TMG_CODE, User

OME, KOTO, CHIYODA = "132055", "131083", "131016"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


_SERIAL = itertools.count(1)  # body names are unique: a survey may build several forums in one transaction


@dataclass
class Forum:
    body_id: int
    past_id: int
    future_id: int
    public_item: int
    closed_item: int
    public_material: int
    closed_material: int
    action_id: int
    amendment_id: int


def user(tenant: str, email: str) -> User:
    bind_tenant(tenant)
    found = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    assert found is not None, email
    bind_tenant(tenant, found.id)
    return found


def build() -> Forum:
    from community.services import actions, bodies, meetings, minutes
    from community.services.common import utcnow

    now = utcnow()
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    serial = next(_SERIAL)
    body = bodies.create_body(curator, f"CIOフォーラム（テスト{serial}）", "forum", "都と区市町村のCIOの会議体")
    bodies.set_member(curator, body, KOTO, "member", "江東区CIO")
    bodies.set_member(curator, body, OME, "member", "青梅市CIO")
    bodies.set_member(curator, body, TMG_CODE, "secretariat", "デジタルサービス局")
    past = meetings.create_meeting(curator, body, meetings.MeetingData(
        "第1回", now - timedelta(days=3), now - timedelta(days=3) + timedelta(hours=2), "都庁第一本庁舎", ""))
    public = meetings.add_item(curator, past, "生成AIの活用状況", "各団体の状況共有", "public")
    closed = meetings.add_item(curator, past, "共同調達の価格交渉", "非公開の交渉方針", "closed")
    public_material = meetings.add_material(curator, past, public, "公開資料", "public.pdf", PDF)
    closed_material = meetings.add_material(curator, past, closed, "非公開資料", "closed.pdf", PDF)
    future = meetings.create_meeting(curator, body, meetings.MeetingData(
        "第2回", now + timedelta(days=10), now + timedelta(days=10, hours=2), "オンライン", "https://meet.example.jp/x"))
    meetings.add_item(curator, future, "公開議題", "説明", "public")
    meetings.add_item(curator, future, "非公開議題", "秘密の内容", "closed")
    koto_admin = user(KOTO, "admin@koto.example.jp")
    # Registration of a past meeting goes through the table: the service refuses it once the meeting is over.
    from community.models import Registration

    db.session.add(Registration(meeting_id=past.id, attendee_tenant=KOTO, attendee_user_id=koto_admin.id,
                                display_name=koto_admin.display_name, attendance="in_person"))
    db.session.flush()
    bind_tenant(TMG_CODE, curator.id)
    minutes.save_draft(curator, past, "概要", {public.id: "公開の記録", closed.id: "非公開の記録"}, None)
    minutes.open_review(curator, past, 7)
    koto_admin = user(KOTO, "admin@koto.example.jp")
    amendment = minutes.propose_amendment(koto_admin, past, public, "公開の記録（修正）", "表現の修正")
    bind_tenant(TMG_CODE, curator.id)
    action = actions.create_action(curator, past, actions.ActionData(
        "RPA導入事例の共有", "", OME, None, (now + timedelta(days=20)).date(), public.id))
    bind_tenant(None)
    return Forum(body.id, past.id, future.id, public.id, closed.id, public_material.id, closed_material.id,
                 action.id, amendment.id)
