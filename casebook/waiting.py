""""Waiting for you" of the casebook: approvals, changes requested, questions to answer, the curators' queue.

Each item counts exactly what its link lists (the own-cases list filtered by state, the curation
queue, the casebook entries with open questions) and dates the oldest one.
"""
from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from casebook.models import Answer, Case, Entry, Question, Submission
from kernel.extensions import db
from kernel.waiting import VIEWER_TENANT, WaitingCount, register_waiting
from tenants.roles import Permission


def open_question_conditions(tenant_id: Any) -> list[Any]:
    """Questions to the municipality's published cases that nobody of it has answered yet (``tenant_id``: a
    municipality's code, or ``VIEWER_TENANT``)."""
    # Question.source_tenant_id and answered_at first: the partial index of the municipality's unanswered
    # questions, not every question it was ever asked probed against the answers (issue 25.5). The entry's
    # conditions and the absence of an answer stay the definition (answered_at, kept by the database, only
    # lets the index skip the answered ones).
    return [Question.source_tenant_id == tenant_id, Question.answered_at.is_(None), Entry.source_tenant_id == tenant_id,
            Entry.status == "published", ~select(Answer.id).where(Answer.question_id == Question.id).exists()]


def open_questions(tenant_id: str) -> list[tuple[Question, Entry]]:
    """The open questions (oldest first), for the list "waiting for you" links to."""
    return [(q, e) for q, e in db.session.execute(select(Question, Entry).join(Entry, Entry.id == Question.entry_id)
                                                  .where(*open_question_conditions(tenant_id))
                                                  .order_by(Question.created_at, Question.id).limit(200)).all()]


# Each count built once (kernel/waiting.py); the dashboard's figures (casebook/helpers.py) share the first
# and the last, so that their counts are asked once.
APPROVALS = select(func.count(), func.min(Case.updated_at)).where(
    Case.tenant_id == VIEWER_TENANT, Case.release_state == "proposed")
_CHANGES_REQUESTED = select(func.count(), func.min(Submission.decided_at)).where(
    Submission.source_tenant_id == VIEWER_TENANT, Submission.status == "changes_requested")
_QUESTIONS = select(func.count(), func.min(Question.created_at)).join(
    Entry, Entry.id == Question.entry_id).where(*open_question_conditions(VIEWER_TENANT))
REVIEW_QUEUE = select(func.count(), func.min(Submission.created_at)).where(Submission.status == "queued")


@register_waiting(fixed=True)
def casebook_waiting(user: Any) -> list[WaitingCount]:
    items: list[WaitingCount] = []
    if user.can(Permission.TENANT_APPROVE_RELEASE):
        items.append(WaitingCount("casebook.approvals", _("Cases waiting for your approval"),
                                  url_for("casebook.cases_index", state="proposed"), APPROVALS))
    if user.can(Permission.CASES_WRITE_OWN):
        items.append(WaitingCount("casebook.changes_requested", _("Cases the curators sent back with changes"),
                                  url_for("casebook.cases_index", state="changes_requested"), _CHANGES_REQUESTED))
        items.append(WaitingCount("casebook.questions", _("Questions to your municipality's cases to answer"),
                                  url_for("casebook.cases_questions"), _QUESTIONS))
    if user.can(Permission.CASEBOOK_CURATE):
        items.append(WaitingCount("casebook.review", _("Submissions waiting for your review"),
                                  url_for("casebook.curation_queue"), REVIEW_QUEUE))
    return items
