"""Adoption (横展開) of published cases, questions to the originating municipality (members are notified)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from casebook.models import ADOPTION_STATES, Adoption, Answer, Entry, Question
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify
from tenants.models import User

MAX_BODY = 5000


def adoption_of(entry: Entry, tenant_id: str) -> Optional[Adoption]:
    return db.session.scalar(select(Adoption).where(Adoption.entry_id == entry.id,
                                                    Adoption.adopter_tenant_id == tenant_id))


def adopt(entry: Entry, actor: User) -> Adoption:
    """Record that the actor's municipality is adopting a published case (status: planned)."""
    if entry.status != "published":
        raise ServiceError(_("This case is not published."))
    if entry.source_tenant_id == actor.tenant_id:
        raise ServiceError(_("You cannot adopt a case of your own municipality."))
    if adoption_of(entry, actor.tenant_id) is not None:
        raise ServiceError(_("This case already has an adoption record."))
    row = Adoption(entry_id=entry.id, adopter_tenant_id=actor.tenant_id, status="planned", created_by=actor.id)
    db.session.add(row)
    db.session.flush()
    _recount(entry)
    audit.record("casebook.adopt", "casebook_adoption", row.id, after={"entry": entry.id, "status": "planned"})
    notify("casebook.adopted", url=f"/casebook/{entry.id}", actor=(actor.tenant_id, actor.id),
           tenant_id=entry.source_tenant_id, title=entry.title, by_ja=actor.tenant.name_ja, by_en=actor.tenant.name_en)
    return row


def update_adoption(row: Adoption, actor: User, status: str, outcome: str) -> None:
    """Move an adoption along (planned → in progress → done) and record the adopter's own outcome."""
    if row.adopter_tenant_id != actor.tenant_id:
        raise ServiceError(_("You cannot change another municipality's record."))
    if status not in ADOPTION_STATES:
        raise ServiceError(_("The status is not valid."), "status")
    outcome = (outcome or "").replace("\x00", "").strip()
    if len(outcome) > MAX_BODY:
        raise ServiceError(_("Enter outcomes of at most 5,000 characters."), "outcome")
    before = {"status": row.status, "outcome": row.outcome}
    row.status = status
    row.outcome = outcome
    row.updated_at = datetime.now(UTC)
    db.session.flush()
    audit.record("casebook.adoption_update", "casebook_adoption", row.id, before=before,
                 after={"status": status, "outcome": outcome})


def _recount(entry: Entry) -> None:
    db.session.execute(update(Entry).where(Entry.id == entry.id).values(adoption_count=select(
        func.count()).where(Adoption.entry_id == entry.id).scalar_subquery()))
    db.session.refresh(entry, ["adoption_count"])


def questions_of(entry: Entry) -> list[tuple[Question, list[Answer]]]:
    questions = list(db.session.scalars(select(Question).where(Question.entry_id == entry.id)
                                        .order_by(Question.created_at, Question.id)))
    answers: dict[int, list[Answer]] = {}
    if questions:
        for answer in db.session.scalars(select(Answer).where(Answer.question_id.in_([q.id for q in questions]))
                                         .order_by(Answer.created_at, Answer.id)):
            answers.setdefault(answer.question_id, []).append(answer)
    return [(q, answers.get(q.id, [])) for q in questions]


def _body(text: str, kind: str) -> str:
    """The cleaned text of a question (kind "question") or an answer (kind "answer")."""
    body = (text or "").replace("\x00", "").strip()
    if not body:
        raise ServiceError(_("Enter your question.") if kind == "question" else _("Enter your answer."), "body")
    if len(body) > MAX_BODY:
        raise ServiceError(_("Enter a question of at most 5,000 characters.") if kind == "question"
                           else _("Enter an answer of at most 5,000 characters."), "body")
    return body


def ask(entry: Entry, actor: User, text: str) -> Question:
    """A member asks the originating municipality; its members are notified (app and e-mail)."""
    if entry.status != "published":
        raise ServiceError(_("This case is not published."))
    row = Question(entry_id=entry.id, asker_tenant_id=actor.tenant_id, asker_user_id=actor.id,
                   asker_name=f"{actor.display_name}（{actor.tenant.name_ja}）"[:200], body=_body(text, "question"))
    db.session.add(row)
    db.session.flush()
    audit.record("casebook.question", "casebook_question", row.id, after={"entry": entry.id})
    notify("casebook.question_asked", url=f"/casebook/{entry.id}#question-{row.id}",
           actor=(actor.tenant_id, actor.id), tenant_id=entry.source_tenant_id, title=entry.title,
           by_ja=actor.tenant.name_ja, by_en=actor.tenant.name_en)
    return row


def answer(question: Question, entry: Entry, actor: User, text: str) -> Answer:
    """A member of the originating municipality answers; the asker is notified."""
    if entry.source_tenant_id != actor.tenant_id:
        raise ServiceError(_("Only staff of the municipality that published the case can answer."))
    row = Answer(question_id=question.id, answerer_tenant_id=actor.tenant_id, answerer_user_id=actor.id,
                 answerer_name=f"{actor.display_name}（{actor.tenant.name_ja}）"[:200], body=_body(text, "answer"))
    db.session.add(row)
    db.session.flush()
    audit.record("casebook.answer", "casebook_answer", row.id, after={"question": question.id})
    notify("casebook.question_answered", url=f"/casebook/{entry.id}#question-{question.id}",
           actor=(actor.tenant_id, actor.id), asker=(question.asker_tenant_id, question.asker_user_id),
           title=entry.title, by_ja=actor.tenant.name_ja, by_en=actor.tenant.name_en)
    return row


def get_question(question_id: int) -> Optional[Question]:
    return db.session.get(Question, question_id)
