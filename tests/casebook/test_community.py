"""Adoption (横展開), questions and answers with in-app and e-mail notifications (real SMTP sink)."""
from __future__ import annotations

import re

from tests.conftest import login


def _koto_entry(client) -> int:  # type: ignore[no-untyped-def]
    body = client.get("/casebook?q=学童クラブ").get_data(as_text=True)
    return int(re.search(r'href="/casebook/(\d+)">学童クラブ', body).group(1))  # type: ignore[union-attr]


def test_adoption_is_counted_and_seen_by_the_originating_municipality(app) -> None:  # type: ignore[no-untyped-def]
    ome = app.test_client()
    login(ome, "member")
    entry_id = _koto_entry(ome)  # case-002 of 江東区
    assert ome.post(f"/casebook/{entry_id}/adopt").status_code == 302
    again = ome.post(f"/casebook/{entry_id}/adopt")
    assert again.status_code == 409 and "すでに横展開" in again.get_data(as_text=True)
    page = ome.get(f"/casebook/{entry_id}").get_data(as_text=True)
    assert "横展開 1団体" in page and "青梅市 — 導入予定" in page
    assert ome.post(f"/casebook/{entry_id}/adoption", data={"status": "done", "outcome": "待ち時間が半分に"}
                    ).status_code == 302
    assert ome.post(f"/casebook/{entry_id}/adoption", data={"status": "bogus"}).status_code == 400

    koto = app.test_client()
    login(koto, "other_member")
    ours = koto.get("/cases").get_data(as_text=True)
    assert 'data-testid="our-adoptions"' in ours and "青梅市" in ours and "完了" in ours
    assert "横展開（導入予定）" in koto.get("/notifications").get_data(as_text=True)
    # A municipality of the same kind (a city) sees 青梅市 listed as a similar adopter.
    hachioji = app.test_client()
    login(hachioji, "chiyoda_member")  # 千代田区 is a ward: not of the same kind as 青梅市
    assert 'data-testid="similar"' not in hachioji.get(f"/casebook/{entry_id}").get_data(as_text=True)
    most = ome.get("/casebook?sort=adopted").get_data(as_text=True)
    first_hit = most.split('data-testid="hit"', 2)[1]
    assert "学童クラブ" in first_hit


def test_questions_and_answers_notify_in_app_and_by_mail(app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    ome = app.test_client()
    login(ome, "member")
    entry_id = _koto_entry(ome)
    empty = ome.post(f"/casebook/{entry_id}/questions", data={"body": " "})
    assert empty.status_code == 400 and "質問を入力してください" in empty.get_data(as_text=True)
    asked = ome.post(f"/casebook/{entry_id}/questions", data={"body": "審査ツールの費用は？"})
    assert asked.status_code == 302
    asked.close()  # the mails of a request leave after its response (kernel.notifications.outbox)
    recipients = {m.to for m in mail_sink.wait_for(1)}
    assert any("koto.example.jp" in r for r in recipients)
    assert all("ome.example.jp" not in r for r in recipients)

    koto = app.test_client()
    login(koto, "other_member")
    page = koto.get(f"/casebook/{entry_id}").get_data(as_text=True)
    question_id = int(re.search(r'id="question-(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert "審査ツールの費用は？" in page
    assert ome.post(f"/casebook/questions/{question_id}/answer", data={"body": "x"}).status_code == 403
    answered = koto.post(f"/casebook/questions/{question_id}/answer", data={"body": "約50万円です"})
    assert answered.status_code == 302
    answered.close()
    assert "約50万円です" in ome.get(f"/casebook/{entry_id}").get_data(as_text=True)
    assert "回答しました" in ome.get("/notifications").get_data(as_text=True)
    assert any("member@ome.example.jp" in m.to for m in mail_sink.wait_for(len(recipients) + 1))
    assert ome.post("/notifications/read-all").status_code == 302


def test_mail_server_down_does_not_lose_the_question(app) -> None:  # type: ignore[no-untyped-def]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    try:
        ome = app.test_client()
        login(ome, "member")
        entry_id = _koto_entry(ome)
        assert ome.post(f"/casebook/{entry_id}/questions", data={"body": "届きますか"}).status_code == 302
        assert "届きますか" in ome.get(f"/casebook/{entry_id}").get_data(as_text=True)
    finally:
        app.config.update(SMTP_HOST="", SMTP_PORT=25)


def _waiting_questions(client) -> int:  # type: ignore[no-untyped-def]
    found = re.search(r'data-testid="waiting-casebook.questions">\s*<a[^>]*><span class="waiting__count">(\d+)<',
                      client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else 0


def test_open_questions_are_counted_for_the_municipality_asked(app) -> None:  # type: ignore[no-untyped-def]
    from casebook.models import Question
    from kernel.extensions import db
    from tenants.context import as_tenant

    ome = app.test_client()
    login(ome, "member")
    koto = app.test_client()
    login(koto, "other_member")
    entry_id = _koto_entry(ome)
    before = _waiting_questions(koto)
    assert ome.post(f"/casebook/{entry_id}/questions", data={"body": "費用は？"}).status_code == 302
    # The question knows whom it asks (set by the database from the entry), and only that municipality counts it.
    with app.app_context(), as_tenant("132055"):
        question = db.session.scalars(db.select(Question).where(Question.entry_id == entry_id)
                                      .order_by(Question.id.desc())).first()
        assert question is not None and question.source_tenant_id == "131083"
        question_id = question.id
    assert _waiting_questions(koto) == before + 1
    assert _waiting_questions(ome) == 0
    answered = koto.post(f"/casebook/questions/{question_id}/answer", data={"body": "約50万円です"})
    assert answered.status_code == 302
    assert _waiting_questions(koto) == before


def test_adopters_keep_one_order_when_adopted_at_the_same_moment(app) -> None:  # type: ignore[no-untyped-def]
    """Adoptions written at the same moment (one transaction: the same created_at and updated_at) are listed in
    one order on every visit: the case pages' adopters oldest first, then by id; the originating municipality's
    list on /cases newest first, then by id."""
    from types import SimpleNamespace

    from sqlalchemy import text

    from casebook import entry_page, queries
    from kernel.extensions import db
    from tenants.context import bind_tenant

    client = app.test_client()
    login(client, "member")
    entry_id = _koto_entry(client)  # case-002 of 江東区
    with app.app_context():
        for adoption_id, tenant in ((900_000_002, "131016"), (900_000_001, "132055")):  # ids against insertion
            bind_tenant(tenant)  # each municipality writes its own adoption
            db.session.execute(text(
                "INSERT INTO casebook_adoptions (id, entry_id, adopter_tenant_id, status, outcome, created_at, "
                "updated_at) VALUES (:id, :entry, :tenant, 'planned', '', '2026-04-01', '2026-04-01')"),
                {"id": adoption_id, "entry": entry_id, "tenant": tenant})
        bind_tenant("131083")
        try:
            adopters = queries.adopters_of(SimpleNamespace(id=entry_id))
            assert [(a.id, t.name("ja")) for a, t in adopters] == [(900_000_001, "青梅市"), (900_000_002, "千代田区")]
            page = entry_page.load(entry_id)  # the entry page reads them with the entry, in the same order
            assert page is not None and [(a.id, t.name("ja")) for a, t in page.adopters] == [
                (900_000_001, "青梅市"), (900_000_002, "千代田区")]
            ours = [a.id for a, _e, _t in queries.adoptions_of_tenant_cases("131083") if a.id >= 900_000_001]
            assert ours == [900_000_002, 900_000_001]
        finally:
            db.session.rollback()
            db.session.remove()
