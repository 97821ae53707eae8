"""kernel.notifications: the event table, in-app notifications, mail after the commit (real SMTP sink)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from devtools.demo import KOTO, OME
from kernel.extensions import db
from kernel.notifications import N_, event_table, notify, people_in_param, register_event, send_pending
from kernel.notifications.models import Notification, OutboxMail
from kernel.notifications.outbox import backoff
from kernel.notifications.service import mark_all_read, save_settings, write_digests
from tenants.context import bind_tenant
from tenants.models import User
from tests.conftest import login

register_event("test.pinged", people_in_param("to"), N_("%(by)s asked a question about “%(title)s”"),
               catalogue="casebook")


def _user(tenant: str, email: str) -> User:
    bind_tenant(tenant)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    assert user is not None
    return user


def _unread(client) -> int:  # type: ignore[no-untyped-def]
    """The unread count the header shows (0 when the badge is absent)."""
    found = re.search(r'data-testid="unread-count">(\d+)<', client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else 0


def _koto_entry(client) -> int:  # type: ignore[no-untyped-def]
    body = client.get("/casebook?q=学童クラブ").get_data(as_text=True)
    return int(re.search(r'href="/casebook/(\d+)">学童クラブ', body).group(1))  # type: ignore[union-attr]


def test_every_event_is_in_the_documented_table() -> None:
    import casebook  # noqa: F401  (registers its events)

    doc = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text(encoding="utf-8")
    missing = [e.kind for e in event_table() if not e.kind.startswith("test.") and f"`{e.kind}`" not in doc]
    assert missing == []


def test_question_tells_the_other_municipality_in_app_and_by_mail_after_the_response(app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    ome, koto = app.test_client(), app.test_client()
    login(ome, "member")
    login(koto, "other_member")
    unread_before = _unread(koto)
    entry_id = _koto_entry(ome)
    response = ome.post(f"/casebook/{entry_id}/questions", data={"body": "費用は？"})
    assert response.status_code == 302
    assert mail_sink.mails == []  # nothing is sent inside the request
    response.close()  # the WSGI server closes the response after sending it: the mails leave then
    mails = mail_sink.wait_for(1)
    assert {m.to for m in mails} and all(m.to.endswith("@koto.example.jp") for m in mails)
    assert mails[0].subject.startswith("【横展開ポータル】「") and "青梅市から質問が届きました" in mails[0].subject
    assert f"/casebook/{entry_id}#question-" in mails[0].body

    assert _unread(koto) == unread_before + 1
    listing = koto.get("/notifications").get_data(as_text=True)
    link = re.search(r'href="/notifications/(\d+)"', listing)
    assert link and "青梅市から質問が届きました" in listing
    # Nobody of the asking municipality is told, and the notification is invisible to it.
    assert "質問が届きました" not in ome.get("/notifications").get_data(as_text=True)
    assert ome.get(f"/notifications/{link.group(1)}").status_code == 404
    opened = koto.get(f"/notifications/{link.group(1)}")
    assert opened.status_code == 302 and opened.location.startswith(f"/casebook/{entry_id}#question-")
    assert _unread(koto) == unread_before
    assert "費用は？" not in mails[0].body  # the question itself stays in the portal


def test_recipient_language_and_mail_settings(app_ctx, app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    koto_id = _user(KOTO, "member@koto.example.jp").id
    mark_all_read(KOTO, koto_id)  # the demo data's notifications stay out of the digest below
    save_settings(KOTO, koto_id, "immediate", "en")
    bind_tenant(OME)
    assert notify("test.pinged", url="/x", to=(KOTO, koto_id), title="申請", by_ja="青梅市", by_en="Ome City") == 1
    db.session.commit()  # a savepoint here: the outbox rows are visible to the sender
    assert send_pending().sent == 1
    mail = mail_sink.wait_for(1)[0]
    assert mail.subject == "[Yokoten] Ome City asked a question about “申請”"
    assert mail.body.startswith("Dear ")

    bind_tenant(KOTO)  # a person's settings are saved in their own municipality's session
    save_settings(KOTO, koto_id, "none", "ja")
    bind_tenant(OME)
    notify("test.pinged", url="/x", to=(KOTO, koto_id), title="二件目", by_ja="青梅市", by_en="Ome City")
    bind_tenant(KOTO)
    assert db.session.scalar(select(OutboxMail).where(OutboxMail.subject.contains("二件目"))) is None
    assert db.session.scalar(select(Notification).where(Notification.params["title"].astext == "二件目"))

    bind_tenant(KOTO)
    save_settings(KOTO, koto_id, "digest", "ja")
    bind_tenant(OME)
    notify("test.pinged", url="/y", to=(KOTO, koto_id), title="三件目", by_ja="青梅市", by_en="Ome City")
    assert write_digests() == 1
    assert write_digests() == 0  # once a day
    db.session.commit()
    send_pending()
    digest = mail_sink.wait_for(2)[1]
    assert digest.subject == "【横展開ポータル】本日のお知らせ（2件）"  # the unread, never-mailed 二件目 and 三件目
    assert "「三件目」に青梅市から質問が届きました" in digest.body and "二件目" in digest.body


def test_mail_server_down_keeps_the_mail_for_a_retry(app_ctx, app) -> None:  # type: ignore[no-untyped-def]
    from devtools.mail_sink import free_port

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens there
    try:
        koto = _user(KOTO, "member@koto.example.jp")
        bind_tenant(OME)
        notify("test.pinged", url="/x", to=(KOTO, koto.id), title="停止中", by_ja="青梅市", by_en="Ome City")
        result = send_pending()
        assert (result.sent, result.retrying) == (0, 1)
        bind_tenant(KOTO)
        row = db.session.scalar(select(OutboxMail).where(OutboxMail.subject.contains("停止中")))
        assert row is not None and row.status == "pending" and row.attempts == 1
        assert "Connection refused" in row.last_error or "Errno" in row.last_error
        assert row.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50)
        assert send_pending().retrying == 0  # not due yet
    finally:
        app.config.update(SMTP_HOST="", SMTP_PORT=25)
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


def test_no_mail_server_configured_means_in_app_only(app_ctx) -> None:  # type: ignore[no-untyped-def]
    koto = _user(KOTO, "member@koto.example.jp")
    bind_tenant(OME)
    assert notify("test.pinged", to=(KOTO, koto.id), title="t", by_ja="a", by_en="a") == 1
    bind_tenant(KOTO)
    assert db.session.scalar(select(OutboxMail)) is None


def test_actor_and_inactive_people_are_not_told(app_ctx) -> None:  # type: ignore[no-untyped-def]
    koto = _user(KOTO, "member@koto.example.jp")
    assert notify("test.pinged", actor=(KOTO, koto.id), to=(KOTO, koto.id), title="t", by_ja="a") == 0
    koto.is_active = False
    db.session.flush()
    assert notify("test.pinged", to=(KOTO, koto.id), title="t", by_ja="a") == 0


def test_unknown_event_kind_is_a_programming_error(app_ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError):
        notify("nobody.registered_this")


def test_filters_and_mark_all_read(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        koto = _user(KOTO, "member@koto.example.jp")
        for title in ("一", "二"):
            notify("test.pinged", to=(KOTO, koto.id), title=title, by_ja="青梅市")
        notify("casebook.published", author=(KOTO, koto.id), title="公開された事例")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    login(client, "other_member")
    assert "通知はありません" in client.get("/notifications?area=procurement").get_data(as_text=True)
    only = client.get("/notifications?area=casebook").get_data(as_text=True)
    assert "「公開された事例」が事例集に掲載されました" in only and "「一」" not in only
    assert client.post("/notifications/read-all").status_code == 302
    assert "通知はありません" in client.get("/notifications?show=unread").get_data(as_text=True)
    english = app.test_client()
    login(english, "other_member")
    english.post("/lang", data={"lang": "en", "next": "/notifications"})
    assert "“公開された事例” was published in the casebook" in english.get("/notifications").get_data(as_text=True)
