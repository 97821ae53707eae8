"""Adoption (横展開) of published cases, questions to the originating municipality, notifications."""
from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from casebook.models import ADOPTION_STATES, Adoption, Answer, Entry, Notification, Question
from casebook.services import as_tenant
from portal import audit
from portal.extensions import db
from tenants.models import User
from tenants.services import ServiceError

log = logging.getLogger(__name__)
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
    _notify_tenant(entry.source_tenant_id,
                   f"「{entry.title}」を{actor.tenant.name_ja}が横展開（導入予定）として登録しました。",
                   f"/casebook/{entry.id}")
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
    _notify_tenant(entry.source_tenant_id, f"「{entry.title}」に{actor.tenant.name_ja}から質問が届きました。",
                   f"/casebook/{entry.id}#question-{row.id}")
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
    _notify_users(question.asker_tenant_id, [question.asker_user_id],
                  f"「{entry.title}」へのご質問に{actor.tenant.name_ja}が回答しました。",
                  f"/casebook/{entry.id}#question-{question.id}")
    return row


def get_question(question_id: int) -> Optional[Question]:
    return db.session.get(Question, question_id)


# Notifications -----------------------------------------------------------------------------

def _notify_tenant(tenant_id: str, message: str, url: str) -> None:
    with as_tenant(tenant_id):
        ids = list(db.session.scalars(select(User.id).where(User.tenant_id == tenant_id, User.is_active.is_(True))))
    _notify_users(tenant_id, ids, message, url)


def _notify_users(tenant_id: str, user_ids: list[int], message: str, url: str) -> None:
    """In-app notifications (written under the recipients' tenant) and e-mail when SMTP is set."""
    if not user_ids:
        return
    with as_tenant(tenant_id):
        for user_id in user_ids:
            db.session.add(Notification(tenant_id=tenant_id, user_id=user_id, message=message, url=url))
        db.session.flush()
        emails = list(db.session.scalars(select(User.email).where(User.tenant_id == tenant_id,
                                                                  User.id.in_(user_ids))))
    send_mail(emails, message, url)


def send_mail(recipients: list[str], message: str, url: str) -> None:
    """Send a notification by e-mail through the configured SMTP server (SMTP_HOST; none when unset)."""
    host = current_app.config.get("SMTP_HOST")
    if not host or not recipients:
        return
    mail = EmailMessage()
    mail["Subject"] = "【横展開ポータル】" + message[:60]
    mail["From"] = current_app.config.get("MAIL_FROM", "yokoten@localhost")
    mail["To"] = ", ".join(recipients)
    base = (current_app.config.get("PORTAL_BASE_URL") or "").rstrip("/")
    mail.set_content(f"{message}\n\n{base}{url}\n")
    try:
        with smtplib.SMTP(host, int(current_app.config.get("SMTP_PORT", 25)), timeout=5) as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException):
        # The in-app notification is already written; a mail server outage must not lose the question.
        log.warning("notification e-mail could not be sent", exc_info=True)


def unread_count(user: User) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.tenant_id == user.tenant_id, Notification.user_id == user.id,
        Notification.read_at.is_(None))) or 0)


def notifications_for(user: User) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.tenant_id == user.tenant_id, Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(100)))


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(
        Notification.tenant_id == user.tenant_id, Notification.user_id == user.id,
        Notification.read_at.is_(None)).values(read_at=datetime.now(UTC)))
