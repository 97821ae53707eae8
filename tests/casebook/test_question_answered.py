"""A question's ``answered_at`` is kept by the database from its answers (migration 20261207b_dashboard_counts),
exactly: through the services, through the owner's maintenance (answers removed or moved) and under concurrent
answers; the "waiting for you" count of open questions, which reads the partial index of the unanswered ones,
stays the count of the definition (the municipality's published cases' questions without an answer)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Optional

import psycopg2
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from casebook.community import answer, ask
from casebook.models import Answer, Entry, Question
from kernel.extensions import db
from portal.backup import libpq
from tests.conftest import committing_app, run_together
from tests.factories.tenants import user

KOTO = "131083"


def _koto_entry() -> Entry:
    entry = db.session.scalar(select(Entry).where(Entry.source_tenant_id == KOTO, Entry.status == "published")
                              .order_by(Entry.id).limit(1))
    assert entry is not None
    return entry


def _first_answer(question_id: int) -> Optional[datetime]:
    return db.session.scalar(select(func.min(Answer.created_at)).where(Answer.question_id == question_id))


def _answered_at(question_id: int) -> Optional[datetime]:
    return db.session.scalar(text("SELECT answered_at FROM casebook_questions WHERE id = :id"), {"id": question_id})


def _open_by_definition(tenant: str) -> tuple[int, Optional[datetime]]:
    """The open questions as the definition says, without ``answered_at``."""
    row = db.session.execute(select(func.count(), func.min(Question.created_at)).join(
        Entry, Entry.id == Question.entry_id).where(
        Entry.source_tenant_id == tenant, Entry.status == "published",
        ~select(Answer.id).where(Answer.question_id == Question.id).exists())).one()
    return int(row[0]), row[1]


def _counted(person: Any) -> tuple[int, Optional[datetime]]:
    from casebook.waiting import _QUESTIONS
    from kernel.waiting import count_together, viewer_values

    return count_together([_QUESTIONS], viewer_values(person))[0]


def test_answered_at_follows_the_answers_and_the_count_the_definition(app_ctx) -> None:  # type: ignore[no-untyped-def]
    asker = user("member")  # 青梅市 asks 江東区
    entry = _koto_entry()
    questions = [ask(entry, asker, f"質問{i}") for i in range(3)]
    ids = [q.id for q in questions]
    koto = user("other_member")
    assert [_answered_at(i) for i in ids] == [None, None, None]
    assert _counted(koto) == _open_by_definition(KOTO) and _counted(koto)[0] >= 3

    answer(questions[0], entry, koto, "回答です")
    answer(questions[0], entry, user("other_admin"), "補足です")
    koto = user("other_member")
    assert _answered_at(ids[0]) == _first_answer(ids[0]) is not None
    assert [_answered_at(i) for i in ids[1:]] == [None, None]
    assert _counted(koto) == _open_by_definition(KOTO)
    answer(questions[1], entry, koto, "回答です")
    assert _answered_at(ids[1]) == _first_answer(ids[1])
    assert _counted(koto) == _open_by_definition(KOTO)
    # The list "waiting for you" links to shows the same questions.
    from casebook.waiting import open_questions

    listed = {q.id for q, _e in open_questions(KOTO)}
    assert ids[2] in listed and ids[0] not in listed and ids[1] not in listed
    assert len(listed) == _open_by_definition(KOTO)[0]


def test_the_application_cannot_write_answered_at(app_ctx) -> None:  # type: ignore[no-untyped-def]
    entry = _koto_entry()
    question = ask(entry, user("member"), "書き換えられない？")
    db.session.flush()
    user("other_member")
    with pytest.raises(Exception, match="permission denied"), db.session.begin_nested():
        db.session.execute(text("UPDATE casebook_questions SET answered_at = now() WHERE id = :id"),
                           {"id": question.id})


def test_the_owners_maintenance_keeps_it_exact(app) -> None:  # type: ignore[no-untyped-def]
    """Answers removed, moved or re-dated by the owner (never by the application): computed again from the rest.
    In the owner's own transaction, rolled back (the ALTER TABLE with it)."""
    owner = psycopg2.connect(libpq(app.config["DATABASE_OWNER_URL"]))
    try:
        cur = owner.cursor()
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", ("132055",))
        cur.execute("SELECT id FROM casebook_entries WHERE source_tenant_id = %s AND status = 'published' "
                    "ORDER BY id LIMIT 1", (KOTO,))
        entry_id = cur.fetchone()[0]
        ids = []
        for body in ("一", "二"):
            cur.execute("INSERT INTO casebook_questions (entry_id, asker_tenant_id, asker_user_id, asker_name, body) "
                        "VALUES (%s, '132055', 1, '職員', %s) RETURNING id", (entry_id, body))
            ids.append(cur.fetchone()[0])
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (KOTO,))
        for question_id, created in ((ids[0], "2026-04-01"), (ids[0], "2026-04-03"), (ids[1], "2026-04-02")):
            cur.execute("INSERT INTO casebook_answers (question_id, answerer_tenant_id, answerer_user_id, "
                        "answerer_name, body, created_at) VALUES (%s, %s, 1, '職員', '回答', %s)",
                        (question_id, KOTO, created))

        def answered() -> list[Optional[str]]:
            cur.execute("SELECT answered_at::date::text FROM casebook_questions WHERE id = ANY(%s) ORDER BY id",
                        (ids,))
            return [row[0] for row in cur.fetchall()]

        assert answered() == ["2026-04-01", "2026-04-02"]
        cur.execute("DELETE FROM casebook_answers WHERE question_id = %s AND created_at = '2026-04-01'", (ids[0],))
        assert answered() == ["2026-04-03", "2026-04-02"]
        cur.execute("UPDATE casebook_answers SET question_id = %s WHERE question_id = %s", (ids[0], ids[1]))
        assert answered() == ["2026-04-02", None]
        cur.execute("UPDATE casebook_answers SET created_at = '2026-04-05' WHERE question_id = %s", (ids[0],))
        assert answered() == ["2026-04-05", None]
        cur.execute("DELETE FROM casebook_answers WHERE question_id = %s", (ids[0],))
        assert answered() == [None, None]
        # A question removed with its answers (the foreign key's cascade, no tenant bound): nothing left to mark.
        cur.execute("INSERT INTO casebook_answers (question_id, answerer_tenant_id, answerer_user_id, answerer_name, "
                    "body) VALUES (%s, %s, 1, '職員', '回答')", (ids[1], KOTO))
        cur.execute("SELECT set_config('app.tenant_id', '', true)")
        cur.execute("ALTER TABLE casebook_questions NO FORCE ROW LEVEL SECURITY")  # only the owner's maintenance
        cur.execute("DELETE FROM casebook_questions WHERE id = ANY(%s)", (ids,))
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (KOTO,))
        cur.execute("SELECT count(*) FROM casebook_answers WHERE question_id = ANY(%s)", (ids,))
        assert cur.fetchone()[0] == 0
    finally:
        owner.rollback()
        owner.close()


# --- concurrent answers, real commits ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_app(cluster) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with committing_app(cluster, "answered_conc", 8) as application:
        yield application


@pytest.mark.no_rollback
def test_concurrent_answers_keep_the_first(real_app: Flask) -> None:
    with real_app.app_context():
        entry = _koto_entry()
        entry_id = entry.id
        question_ids = [ask(entry, user("member"), f"同時回答{i}").id for i in range(4)]
        db.session.commit()
        db.session.remove()
    answerers = ["other_member", "other_admin"]

    def answer_one(question_id: int, who: str) -> None:
        person = user(who)  # first: it binds the person's municipality, under which the question and entry are read
        answer(db.session.get(Question, question_id), db.session.get(Entry, entry_id), person, "同時の回答")

    errors = run_together(real_app, [lambda q=q, who=who: answer_one(q, who)
                                     for q in question_ids for who in answerers])
    assert errors == []
    with real_app.app_context():
        koto = user("other_member")
        for question_id in question_ids:
            assert _answered_at(question_id) == _first_answer(question_id) is not None
            assert db.session.scalar(select(func.count()).where(Answer.question_id == question_id)) == 2
        assert _counted(koto) == _open_by_definition(KOTO)
        db.session.remove()
