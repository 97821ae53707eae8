"""Procurement and awards steps tell the next person; deadline reminders once a day; "waiting for you"."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from devtools.demo import KOTO, OME
from kernel.extensions import db
from kernel.i18n import TOKYO, today_tokyo
from kernel.notifications.models import Notification
from kernel.reminders import run_reminders
from kernel.waiting import waiting_for
from tenants.context import bind_tenant
from tests.factories.procurement import declare, make_project, user


def _texts(tenant: str, kind: str) -> list[tuple[int, str]]:
    bind_tenant(tenant)
    return [(n.user_id, n.params.get("title", "")) for n in db.session.scalars(
        select(Notification).where(Notification.tenant_id == tenant, Notification.kind == kind))]


def test_survey_invites_every_municipality_and_the_approval_waits(app_ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="通知テストの共同調達")
    admin_ome, admin_koto = user("tenant_admin"), user("other_admin")
    assert (admin_ome.id, "通知テストの共同調達") in _texts(OME, "procurement.survey_opened")
    assert (admin_koto.id, "通知テストの共同調達") in _texts(KOTO, "procurement.survey_opened")
    member = user("member")
    assert all(uid != member.id for uid, _t in _texts(OME, "procurement.survey_opened"))  # admins only

    admin = user("tenant_admin")
    with app_ctx.test_request_context():
        due = {i.key: i for i in waiting_for(admin)}
    assert due["procurement.declarations_due"].count >= 1
    declare(project, "member", [10], intent="commit")
    assert (admin_ome.id, "通知テストの共同調達") in _texts(OME, "procurement.declaration_pending")
    admin = user("tenant_admin")
    with app_ctx.test_request_context():
        approvals = {i.key: i for i in waiting_for(admin)}["procurement.approvals"]
    assert approvals.count == 1 and approvals.url == "/procurement/?waiting=approval"
    assert not _texts(KOTO, "procurement.declaration_pending")  # never told of another municipality's step


def test_reminder_before_the_survey_closes_goes_out_once(app_ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="締切前の案件", closes_in=timedelta(days=3, hours=1))
    project.reminder_days = (project.survey_closes_at.astimezone(TOKYO).date() - today_tokyo()).days
    db.session.flush()
    declare(project, "other_admin", [5], intent="commit")  # 江東区 committed: not reminded
    assert run_reminders() > 0
    assert _texts(OME, "procurement.survey_closing")
    assert not _texts(KOTO, "procurement.survey_closing")
    assert run_reminders() == 0  # the same day again: nobody twice
