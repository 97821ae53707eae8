"""Issue 17 points 1 and 2, the gaps: reminder days set in the forms and mailed N days before, a cancelled
procurement tells its participants, a language switch changes the language of the person's mails, one
reminder command, idempotency keys deleted by housekeeping."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from devtools.demo import KOTO, OME
from kernel.extensions import db
from kernel.i18n import TOKYO
from kernel.notifications import send_pending
from kernel.notifications.models import Notification, NotificationSetting
from kernel.reminders import run_reminders
from procurement import services
from procurement.models import Project
from tenants.context import bind_tenant
from tests.factories.procurement import declare, make_project, user

FORM = {"title": "リマインド日数の案件", "description": "", "category": "ai_ocr",
        "survey_opens_at": "2026-12-01T09:00", "survey_closes_at": "2027-01-20T17:00",
        "contract_start_fy": "2027", "contract_end_fy": "2027", "items": "AI-OCR | licence"}


def _project(app, title: str) -> Project:  # type: ignore[no-untyped-def]
    with app.app_context():
        found = db.session.scalar(select(Project).where(Project.title == title))
        assert found is not None
        db.session.expunge(found)
        return found


def test_reminder_days_are_set_in_the_project_form(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("curator")
    page = client.get("/procurement/new").get_data(as_text=True)
    assert "締切の何日前にリマインドするか" in page and 'name="reminder_days"' in page and 'value="3"' in page
    refused = client.post("/procurement/new", data={**FORM, "reminder_days": "61"})
    assert refused.status_code == 400 and "0〜60の日数を入力してください" in refused.get_data(as_text=True)
    assert client.post("/procurement/new", data={**FORM, "reminder_days": "7"}).status_code == 302
    project = _project(app, "リマインド日数の案件")
    assert project.reminder_days == 7
    edit = client.get(f"/procurement/{project.id}/edit").get_data(as_text=True)
    assert re.search(r'name="reminder_days"[^>]*value="7"', edit)
    saved = client.post(f"/procurement/{project.id}/edit",
                        data={**FORM, "reminder_days": "0", "version": str(project.version)})
    assert saved.status_code == 302 and _project(app, "リマインド日数の案件").reminder_days == 0


def test_reminder_days_are_set_in_the_programme_form(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    from awards.models import Programme

    login_as("curator")
    page = client.get("/awards/programmes/new").get_data(as_text=True)
    assert "審査締切の何日前にリマインドするか" in page and 'name="reminder_days"' in page
    data = {"fiscal_year": "2026", "title": "リマインド日数のアワード", "description": "",
            "entry_opens_at": "2026-12-01T09:00", "entry_closes_at": "2027-01-10T17:00",
            "judging_opens_at": "2027-01-11T09:00", "judging_closes_at": "2027-02-10T17:00",
            "comment_mode": "optional"}
    assert client.post("/awards/programmes/new", data={**data, "reminder_days": "-1"}).status_code == 400
    assert client.post("/awards/programmes/new", data={**data, "reminder_days": "5"}).status_code == 302
    with app.app_context():
        programme = db.session.scalar(select(Programme).where(Programme.title == "リマインド日数のアワード"))
        assert programme is not None and programme.reminder_days == 5
        programme_id = programme.id
    # left empty on an edit: the setting stays
    assert client.post(f"/awards/programmes/{programme_id}/edit", data={**data, "reminder_days": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Programme, programme_id).reminder_days == 5  # type: ignore[union-attr]


def test_survey_reminder_is_mailed_exactly_n_days_before(app_ctx, mail_sink) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="五日前にリマインドする案件", closes_in=timedelta(days=20))
    project.reminder_days = 5
    db.session.flush()
    closes_on = project.survey_closes_at.astimezone(TOKYO).date()

    def reminded() -> int:
        bind_tenant(OME)
        return len(list(db.session.scalars(select(Notification).where(
            Notification.kind == "procurement.survey_closing",
            Notification.params["title"].astext == "五日前にリマインドする案件"))))

    run_reminders(closes_on - timedelta(days=6))
    run_reminders(closes_on - timedelta(days=4))
    assert reminded() == 0  # only N days before, not the day before or after that
    run_reminders(closes_on - timedelta(days=5))
    assert reminded() == 1  # 青梅市's DX lead
    db.session.commit()  # a savepoint: the outbox rows are visible to the sender
    send_pending()
    mails = mail_sink.wait_for(1)
    assert any("五日前にリマインドする案件" in m.subject and "需要調査" in m.subject for m in mails)


def test_cancelling_a_project_tells_the_municipalities_that_declared(app_ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="中止になる共同調達")
    declare(project, "member", [10])  # 青梅市 interested
    declare(project, "other_admin", [5], intent="commit")  # 江東区 committed
    curator = user("curator")
    services.transition(curator, project, "cancelled", "予算が確保できなかったため")
    told = {}
    for tenant in (OME, KOTO):
        bind_tenant(tenant)
        told[tenant] = [n for n in db.session.scalars(select(Notification).where(
            Notification.tenant_id == tenant, Notification.kind == "procurement.cancelled"))]
    assert told[OME] and told[KOTO]
    assert all(n.params == {"title": "中止になる共同調達"} for n in told[OME] + told[KOTO])  # no reason, no figures
    admin = user("tenant_admin")
    assert {n.user_id for n in told[OME]} == {admin.id}  # the DX leads, not every member


def test_switching_the_interface_language_switches_the_mail_language(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    assert client.post("/lang", data={"lang": "en", "next": "/"}).status_code == 302
    with app.app_context():
        member = user("member")
        setting = db.session.get(NotificationSetting, (OME, member.id))
        assert setting is not None and setting.language == "en"
    assert client.post("/lang", data={"lang": "ja", "next": "/"}).status_code == 302
    with app.app_context():
        member = user("member")
        assert db.session.get(NotificationSetting, (OME, member.id)).language == "ja"  # type: ignore[union-attr]


def test_one_reminder_command(app) -> None:  # type: ignore[no-untyped-def]
    assert "community" not in app.cli.commands  # `flask community remind` folded into `flask notifications remind`
    result = app.test_cli_runner().invoke(args=["notifications", "remind"])
    assert result.exit_code == 0 and result.output.startswith("reminders ")


def test_housekeeping_deletes_old_idempotency_keys(app) -> None:  # type: ignore[no-untyped-def]
    from portal.idempotency import IdempotencyKey

    with app.app_context():
        member = user("member")
        db.session.add_all([
            IdempotencyKey(tenant_id=OME, user_id=member.id, key="old-key-000001", method="POST", path="/x",
                           created_at=datetime.now(UTC) - timedelta(days=2)),
            IdempotencyKey(tenant_id=OME, user_id=member.id, key="new-key-000001", method="POST", path="/x")])
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["ops", "housekeeping"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        bind_tenant(OME)
        keys = set(db.session.scalars(text("SELECT key FROM idempotency_keys WHERE key LIKE '%-key-000001'")))
    assert keys == {"new-key-000001"}
