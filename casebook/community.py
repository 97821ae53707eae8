"""Adoption (横展開) of published cases, questions to the originating municipality, notifications."""
from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Optional

from flask import current_app
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
        raise ServiceError("公開中の事例ではありません。")
    if entry.source_tenant_id == actor.tenant_id:
        raise ServiceError("自団体の事例は横展開の対象にできません。")
    if adoption_of(entry, actor.tenant_id) is not None:
        raise ServiceError("この事例はすでに横展開の記録があります。")
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
        raise ServiceError("他の団体の記録は変更できません。")
    if status not in ADOPTION_STATES:
        raise ServiceError("状況の指定が正しくありません。", "status")
    outcome = (outcome or "").replace("\x00", "").strip()
    if len(outcome) > MAX_BODY:
        raise ServiceError("成果は5,000文字以内で入力してください。", "outcome")
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


def _body(text: str, what: str) -> str:
    body = (text or "").replace("\x00", "").strip()
    if not body:
        raise ServiceError(f"{what}を入力してください。", "body")
    if len(body) > MAX_BODY:
        raise ServiceError(f"{what}は5,000文字以内で入力してください。", "body")
    return body


def ask(entry: Entry, actor: User, text: str) -> Question:
    """A member asks the originating municipality; its members are notified (app and e-mail)."""
    if entry.status != "published":
        raise ServiceError("公開中の事例ではありません。")
    row = Question(entry_id=entry.id, asker_tenant_id=actor.tenant_id, asker_user_id=actor.id,
                   asker_name=f"{actor.display_name}（{actor.tenant.name_ja}）"[:200], body=_body(text, "質問"))
    db.session.add(row)
    db.session.flush()
    audit.record("casebook.question", "casebook_question", row.id, after={"entry": entry.id})
    _notify_tenant(entry.source_tenant_id, f"「{entry.title}」に{actor.tenant.name_ja}から質問が届きました。",
                   f"/casebook/{entry.id}#question-{row.id}")
    return row


def answer(question: Question, entry: Entry, actor: User, text: str) -> Answer:
    """A member of the originating municipality answers; the asker is notified."""
    if entry.source_tenant_id != actor.tenant_id:
        raise ServiceError("回答できるのは事例を公開した団体の職員です。")
    row = Answer(question_id=question.id, answerer_tenant_id=actor.tenant_id, answerer_user_id=actor.id,
                 answerer_name=f"{actor.display_name}（{actor.tenant.name_ja}）"[:200], body=_body(text, "回答"))
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
