""""Waiting for you" of the casebook: approvals, changes requested, questions to answer, the curators' queue.

Each item counts exactly what its link lists (the own-cases list filtered by state, the curation
queue, the casebook entries with open questions) and dates the oldest one.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from casebook.models import Answer, Case, Entry, Question, Submission
from kernel.extensions import db
from kernel.waiting import WaitingItem, register_waiting
from tenants.roles import Permission


def _count_and_oldest(query: Any) -> tuple[int, Optional[datetime]]:
    row = db.session.execute(query).one()
    return int(row[0] or 0), row[1]


def open_question_conditions(tenant_id: str) -> list[Any]:
    """Questions to the municipality's published cases that nobody of it has answered yet."""
    # Question.source_tenant_id first: the index of the municipality's own questions, not every question
    # of the casebook against every answer (issue 25.5); the entry's conditions stay the definition.
    return [Question.source_tenant_id == tenant_id, Entry.source_tenant_id == tenant_id, Entry.status == "published",
            ~select(Answer.id).where(Answer.question_id == Question.id).exists()]


def open_questions(tenant_id: str) -> list[tuple[Question, Entry]]:
    """The open questions (oldest first), for the list "waiting for you" links to."""
    return [(q, e) for q, e in db.session.execute(select(Question, Entry).join(Entry, Entry.id == Question.entry_id)
                                                  .where(*open_question_conditions(tenant_id))
                                                  .order_by(Question.created_at, Question.id).limit(200)).all()]


@register_waiting
def casebook_waiting(user: Any) -> list[WaitingItem]:
    items: list[WaitingItem] = []
    tenant = user.tenant_id
    if user.can(Permission.TENANT_APPROVE_RELEASE):
        count, oldest = _count_and_oldest(select(func.count(), func.min(Case.updated_at)).where(
            Case.tenant_id == tenant, Case.release_state == "proposed"))
        items.append(WaitingItem("casebook.approvals", _("Cases waiting for your approval"), count,
                                 url_for("casebook.cases_index", state="proposed"), oldest))
    if user.can(Permission.CASES_WRITE_OWN):
        count, oldest = _count_and_oldest(select(func.count(), func.min(Submission.decided_at)).where(
            Submission.source_tenant_id == tenant, Submission.status == "changes_requested"))
        items.append(WaitingItem("casebook.changes_requested", _("Cases the curators sent back with changes"), count,
                                 url_for("casebook.cases_index", state="changes_requested"), oldest))
        count, oldest = _count_and_oldest(select(func.count(), func.min(Question.created_at)).join(
            Entry, Entry.id == Question.entry_id).where(*open_question_conditions(tenant)))
        items.append(WaitingItem("casebook.questions", _("Questions to your municipality's cases to answer"), count,
                                 url_for("casebook.cases_questions"), oldest))
    if user.can(Permission.CASEBOOK_CURATE):
        count, oldest = _count_and_oldest(select(func.count(), func.min(Submission.created_at)).where(
            Submission.status == "queued"))
        items.append(WaitingItem("casebook.review", _("Submissions waiting for your review"), count,
                                 url_for("casebook.curation_queue"), oldest))
    return [item for item in items if item.count]
