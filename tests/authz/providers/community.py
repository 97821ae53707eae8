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
