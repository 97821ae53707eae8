"""Support engagements for tests, made through the services as their real users."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kernel.extensions import db
from support.models import Engagement, Supporter, Theme
from support.services import requests, staffing
from tests.factories.tenants import user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def theme_id(code: str = "bpr") -> int:
    found = db.session.scalar(select(Theme.id).where(Theme.code == code))
    assert found is not None
    return found


def draft(who: str = "member", title: str = "学童クラブ入会申請のBPR（テスト）") -> Engagement:
    """A draft request of the account's municipality (青梅市 for member / tenant_admin)."""
    actor = user(who)
    return requests.create_request(actor, requests.RequestData(
        title=title, theme_id=theme_id(), problem="紙の申請が年間1,200件あり、転記に時間がかかる。",
        department="子ども家庭部 子育て支援課", desired_start=date(2027, 4, 1), desired_end=date(2027, 9, 30)))


def released(title: str = "学童クラブ入会申請のBPR（テスト）", member: str = "member",
             admin: str = "tenant_admin") -> Engagement:
    """A request proposed by the member and approved by the admin: in TMG's pipeline at 受付."""
    engagement = draft(member, title)
    requests.propose_request(user(member), engagement, engagement.version)
    requests.approve_request(user(admin), engagement, engagement.version)
    return engagement


def supporter_profile(who: str = "supporter") -> Supporter:
    actor = user(who)
    return staffing.ensure_profile(actor, actor)
