"""The casebook entry page reads everything it shows in one statement after the session check (issue 25.5)."""
from __future__ import annotations

import re

from sqlalchemy import text

from tests.conftest import login


def _koto_entry(client) -> int:  # type: ignore[no-untyped-def]
    body = client.get("/casebook?q=学童クラブ").get_data(as_text=True)
    return int(re.search(r'href="/casebook/(\d+)">学童クラブ', body).group(1))  # type: ignore[union-attr]


def test_entry_page_is_one_statement_after_the_session_check(app, count_queries) -> None:  # type: ignore[no-untyped-def]
    """Entry, source, adopters, questions with answers and the casebook's generation in one statement; the
    related cases kept by the worker need none (the generation came with the entry)."""
    ome = app.test_client()
    login(ome, "member")
    entry_id = _koto_entry(ome)  # case-002 of 江東区
    assert ome.post(f"/casebook/{entry_id}/adopt").status_code == 302
    assert ome.post(f"/casebook/{entry_id}/questions", data={"body": "費用は？"}).status_code == 302
    koto = app.test_client()
    login(koto, "other_member")
    question_id = int(re.search(r'id="question-(\d+)"',  # type: ignore[union-attr]
                                koto.get(f"/casebook/{entry_id}").get_data(as_text=True)).group(1))
    assert koto.post(f"/casebook/questions/{question_id}/answer", data={"body": "約50万円"}).status_code == 302
    ome.get(f"/casebook/{entry_id}")  # the related cases are kept from here on
    with count_queries() as statements:
        page = ome.get(f"/casebook/{entry_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "青梅市 — 導入予定" in body and "費用は？" in body and "約50万円" in body
    assert len(statements) == 2, "\n".join(statements)
    # The page's statement through its plan function (kernel/kept_plans.py): PostgreSQL keeps its plan.
    from casebook.entry_page import _PAGE

    assert _PAGE.function[0] in statements[1] and "casebook_entries" not in statements[1], statements[1]


def test_questions_and_answers_in_order_with_tokyo_times(app) -> None:  # type: ignore[no-untyped-def]
    """Questions oldest first, each with its answers oldest first (ties by id), stamped in Tokyo time."""
    from kernel.extensions import db
    from tenants.context import bind_tenant

    reader = app.test_client()
    login(reader, "chiyoda_member")
    entry_id = _koto_entry(reader)
    with app.app_context():
        bind_tenant("132055")  # 青梅市 asks
        db.session.execute(text(
            "INSERT INTO casebook_questions (id, entry_id, asker_tenant_id, asker_user_id, asker_name, body, "
            "created_at) VALUES (:id, :entry, '132055', 1, 'ome', :body, :at)"), [
                {"id": 900_000_002, "entry": entry_id, "body": "質問A", "at": "2026-04-01 15:30:59+00"},
                {"id": 900_000_001, "entry": entry_id, "body": "質問B", "at": "2026-04-01 15:30:59+00"}])
        bind_tenant("131083")  # 江東区 answers
        db.session.execute(text(
            "INSERT INTO casebook_answers (id, question_id, answerer_tenant_id, answerer_user_id, answerer_name, "
            "body, created_at) VALUES (:id, :question, '131083', 1, 'koto', :body, :at)"), [
                {"id": 900_000_003, "question": 900_000_002, "body": "回答2", "at": "2026-04-02 00:00+00"},
                {"id": 900_000_004, "question": 900_000_002, "body": "回答1", "at": "2026-04-01 23:00+00"}])
        db.session.commit()
    body = reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    assert body.index("質問B") < body.index("質問A") < body.index("回答1") < body.index("回答2")
    assert "2026-04-02 00:30" in body and "2026-04-02 08:00" in body and "2026-04-02 09:00" in body


def test_kept_content_follows_an_edit_and_the_language(app) -> None:  # type: ignore[no-untyped-def]
    """The entry's content is rendered once per worker and kept by every value it shows: a changed summary or
    theme shows at the next visit, each language keeps its own rendering."""
    from kernel.extensions import db

    reader = app.test_client()
    login(reader, "chiyoda_member")
    entry_id = _koto_entry(reader)
    assert not app.jinja_env.auto_reload  # the content is kept in this app
    assert "改訂した概要" not in reader.get(f"/casebook/{entry_id}").get_data(as_text=True)  # now kept
    changes = (("UPDATE casebook_entries SET summary = '改訂した概要' WHERE id = :id", "改訂した概要"),
               ("UPDATE casebook_entries SET themes = themes || '{新テーマ}' WHERE id = :id", ">新テーマ</span>"))
    for change, shown in changes:
        with app.app_context():
            db.session.execute(text(change), {"id": entry_id})
            db.session.commit()
        assert shown in reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    with reader.session_transaction() as sess:
        sess["lang"] = "en"
    english = reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    assert "改訂した概要" in english and "<dt>Stage</dt>" in english and "<dt>段階</dt>" not in english


def test_related_cases_link_to_their_entries(app) -> None:  # type: ignore[no-untyped-def]
    """The related cases' links (built from one url_for per page) are each entry's own URL."""
    from flask import url_for

    reader = app.test_client()
    login(reader, "chiyoda_member")
    entry_id = _koto_entry(reader)
    page = reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    section = page.split('data-testid="related"', 1)[1].split("</section>", 1)[0]
    hrefs = re.findall(r'<li><a href="([^"]+)"', section)
    assert hrefs
    with app.test_request_context("/"):
        assert hrefs == [url_for("casebook.casebook_entry", entry_id=int(h.rsplit("/", 1)[1])) for h in hrefs]
