"""TMG curators: the queue of signed-off submissions, publishing the curated copy, retiring it.

A curator works only on the cross-tenant copies (submissions, entries), never on a
municipality's private case: publishing copies the submission's snapshot into the casebook.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from casebook import search, text_words
from casebook.models import CONTENT_FIELDS, SUPPORT_ORIGIN, Case, Entry, Submission, Synonym, VocabularyWord
from casebook.rendering import find_pii
from casebook.services import author_of
from casebook.validation import check_content
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify
from tenants.context import as_tenant


def queue(statuses: tuple[str, ...] = ("queued",)) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(Submission.status.in_(statuses))
                                   .order_by(Submission.created_at, Submission.id).limit(500)))


def get_submission(submission_id: int) -> Optional[Submission]:
    return db.session.get(Submission, submission_id)


def get_entry(entry_id: int) -> Optional[Entry]:
    return db.session.get(Entry, entry_id)


def pii_of(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return find_pii({k: data.get(k) for k in CONTENT_FIELDS})


def edit_submission(submission: Submission, actor_id: int, content: dict[str, Any]) -> None:
    """The curator edits the shared copy before publishing (the private case is untouched)."""
    if submission.status != "queued":
        raise ServiceError(_("This submission is not awaiting review."))
    content = check_content(dict(content))
    before = submission.data
    submission.data = content
    db.session.flush()
    audit.record("submission.edit", "submission", submission.id,
                 before={k: before.get(k) for k in CONTENT_FIELDS if before.get(k) != content.get(k)},
                 after={k: content.get(k) for k in CONTENT_FIELDS if before.get(k) != content.get(k)})


def request_changes(submission: Submission, actor_id: int, comment: str) -> None:
    """Send the submission back to the municipality with a comment."""
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError(_("Enter a comment for the municipality."), "comment")
    if len(comment) > 5000:
        raise ServiceError(_("Enter a comment of at most 5,000 characters."), "comment")
    if submission.status != "queued":
        raise ServiceError(_("This submission is not awaiting review."))
    submission.status = "changes_requested"
    submission.comment = comment
    submission.decided_by = actor_id
    submission.decided_at = datetime.now(UTC)
    db.session.flush()
    audit.record("submission.request_changes", "submission", submission.id, after={"comment": comment})
    _tell_author("casebook.changes_requested", submission, actor_id)


def publish(submission: Submission, actor_id: Optional[int], *, external_id: Optional[str] = None) -> Entry:
    """Publish the curated copy: create or replace the case's casebook entry."""
    if submission.status != "queued":
        raise ServiceError(_("This submission is not awaiting review."))
    content = check_content(dict(submission.data))
    entry = db.session.scalar(select(Entry).where(Entry.source_tenant_id == submission.source_tenant_id,
                                                  Entry.source_case_id == submission.source_case_id))
    now = datetime.now(UTC)
    before = None
    if entry is None:
        entry = Entry(source_tenant_id=submission.source_tenant_id, source_case_id=submission.source_case_id,
                      external_id=external_id, published_at=now)
        db.session.add(entry)
    else:
        before = {"version": entry.source_version, "status": entry.status}
    for name in CONTENT_FIELDS:
        setattr(entry, name, content[name])
    entry.source_version = submission.source_version
    entry.supported_by_tmg = entry.supported_by_tmg or submission.origin == SUPPORT_ORIGIN
    entry.status = "published"
    entry.published_by = actor_id
    entry.updated_at = now
    if external_id and not entry.external_id:
        entry.external_id = external_id
    entry.search_vector = search.content_vector(content)
    entry.rank_vector = search.rank_vector(content)
    _remember_words(content)
    text_words.remember(content)
    db.session.flush()
    submission.status = "published"
    submission.entry_id = entry.id
    submission.decided_by = actor_id
    submission.decided_at = now
    db.session.flush()
    audit.record("casebook.publish", "casebook_entry", entry.id, before=before,
                 after={"submission": submission.id, "source": f"{entry.source_tenant_id}/{entry.source_case_id}",
                        "version": entry.source_version})
    if submission.origin != "import":
        _tell_author("casebook.published", submission, actor_id, url=f"/casebook/{entry.id}")
    return entry


def _remember_words(content: dict[str, Any]) -> None:
    """Add the published copy's words (those of its rank vector) to the vocabulary "did you mean" draws on.

    Only published content comes here, never a private case. Words are never removed: a suggestion is
    checked against the published entries when it is offered, so a retired case's words are not shown.
    """
    from sqlalchemy.dialects.postgresql import insert

    from casebook.suggest import vocabulary_words

    words = vocabulary_words(content)
    if words:
        db.session.execute(insert(VocabularyWord).values(
            [{"lexeme": lexeme, "surface": surface} for lexeme, surface in words.items()]).on_conflict_do_nothing())


def _tell_author(kind: str, submission: Submission, actor_id: Optional[int], url: str = "") -> None:
    """Tell the case's author (read deliberately under the source municipality) of a curator's decision."""
    with as_tenant(submission.source_tenant_id):
        case = db.session.get(Case, (submission.source_tenant_id, submission.source_case_id))
        author = author_of(case) if case is not None else None
    notify(kind, url=url or f"/cases/{submission.source_case_id}", author=author,
           title=str(submission.data.get("title", "")))


def edit_entry(entry: Entry, actor_id: int, content: dict[str, Any]) -> None:
    """A curator edits the published copy in place."""
    content = check_content(dict(content))
    before = entry.content()
    changed = [k for k in CONTENT_FIELDS if before.get(k) != content[k]]
    for name in CONTENT_FIELDS:
        setattr(entry, name, content[name])
    entry.updated_at = datetime.now(UTC)
    entry.search_vector = search.content_vector(content)
    entry.rank_vector = search.rank_vector(content)
    _remember_words(content)
    text_words.remember(content)
    db.session.flush()
    audit.record("casebook.edit", "casebook_entry", entry.id, before={k: before[k] for k in changed},
                 after={k: content[k] for k in changed})


def set_retired(entry: Entry, actor_id: int, retired: bool) -> None:
    """Retire an entry from the casebook (or bring it back)."""
    status = "retired" if retired else "published"
    if entry.status == status:
        return
    before = entry.status
    entry.status = status
    entry.updated_at = datetime.now(UTC)
    if not retired:
        # Published again: its texts' words may have been purged while it was retired (text_words.purge_unused).
        text_words.remember(entry.content())
    db.session.flush()
    audit.record("casebook.retire" if retired else "casebook.restore", "casebook_entry", entry.id,
                 before={"status": before}, after={"status": status})


# Synonyms -----------------------------------------------------------------------------------

def list_synonyms() -> list[Synonym]:
    return list(db.session.scalars(select(Synonym).order_by(Synonym.id)))


def parse_terms(text: str) -> list[str]:
    import re

    terms = [t.strip() for t in re.split(r"[,、，=≈\n]+", text or "") if t.strip()]
    return list(dict.fromkeys(terms))


def add_synonyms(actor_id: int, text: str) -> Synonym:
    """Declare a group of equivalent search terms (at least two)."""
    terms = parse_terms(text)
    if len(terms) < 2 or len(terms) > 20 or any(len(t) > 50 for t in terms):
        raise ServiceError(_("Enter 2 to 20 terms with the same meaning, separated by commas "
                             "(each at most 50 characters)."), "terms")
    if any(not search.lexemes(t) for t in terms):
        raise ServiceError(_("Some terms cannot be used for search (for example, terms made only of symbols)."),
                           "terms")
    row = Synonym(terms=terms, created_by=actor_id)
    db.session.add(row)
    db.session.flush()
    audit.record("synonyms.add", "synonym", row.id, after={"terms": terms})
    return row


def delete_synonyms(synonym_id: int) -> bool:
    row = db.session.get(Synonym, synonym_id)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit.record("synonyms.delete", "synonym", synonym_id, before={"terms": row.terms})
    return True
