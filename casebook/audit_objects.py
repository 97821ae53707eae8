"""How the audit log names the casebook's objects: a case, its attachments, a submission, a published entry,
an adoption, a question and its answer, a group of synonyms and an imported file.

Read as the viewer (``kernel.audit.ObjectQuery``: one statement for the whole page): a municipality's private
rows under RLS and its own only; the shared casebook by the rules of its pages — a published entry for every
reader, a retired one and the curation queue for curators, an adoption, question or answer for the
municipalities it concerns.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import false, func, or_, true
from sqlalchemy.orm import aliased

from casebook.models import Adoption, Answer, Case, CaseAttachment, Entry, Question, Submission, Synonym
from kernel.audit import ObjectQuery, object_rows, register_object_resolver
from tenants.roles import Permission


def _cases(viewer: Any, numbers: list[int]) -> Any:
    link = viewer.can(Permission.CASES_READ_OWN)
    # The viewer's own municipality only (RLS says the same): another tenant's case stays unnamed.
    return ObjectQuery(object_rows(Case.id, Case.title).where(Case.tenant_id == viewer.tenant_id,
                                                              Case.id.in_(numbers)),
                       lambda row: (row.title, f"/cases/{row.object_id}" if link else None))


def _attachments(viewer: Any, numbers: list[int]) -> Any:
    link = viewer.can(Permission.CASES_READ_OWN)
    return ObjectQuery(object_rows(CaseAttachment.id, CaseAttachment.filename, CaseAttachment.case_id).where(
        CaseAttachment.tenant_id == viewer.tenant_id, CaseAttachment.id.in_(numbers)),
        lambda row: (row.title, f"/cases/{row.extra}" if link else None))


def _submissions(viewer: Any, numbers: list[int]) -> Any:
    """A case sent to the casebook: for the curators (linked to its review) and the municipality that sent it."""
    curator = viewer.can(Permission.CASEBOOK_CURATE)
    statement = object_rows(Submission.id, Submission.data["title"].astext).where(Submission.id.in_(numbers))
    if not curator:
        statement = statement.where(Submission.source_tenant_id == viewer.tenant_id)
    return ObjectQuery(statement, lambda row: (row.title, f"/curation/{row.object_id}" if curator else None)
                       if row.title else None)


def _readable(viewer: Any) -> Any:
    """The entries the viewer may read (as ``views.shared.load_entry``): a retired one only for curators."""
    return true() if viewer.can(Permission.CASEBOOK_CURATE) else Entry.status == "published"


def _curator(viewer: Any) -> Any:
    return true() if viewer.can(Permission.CASEBOOK_CURATE) else false()


def _entry_link(viewer: Any) -> Any:
    link = viewer.can(Permission.CASEBOOK_READ)
    return lambda row: (row.title, f"/casebook/{row.extra}" if link else None)


def _entries(viewer: Any, numbers: list[int]) -> Any:
    return ObjectQuery(object_rows(Entry.id, Entry.title, Entry.id).where(Entry.id.in_(numbers), _readable(viewer)),
                       _entry_link(viewer))


def _adoptions(viewer: Any, numbers: list[int]) -> Any:
    """The viewer's municipality's adoption of an entry, named by the entry."""
    return ObjectQuery(object_rows(Adoption.id, Entry.title, Entry.id).join(Entry, Entry.id == Adoption.entry_id)
                       .where(Adoption.id.in_(numbers), Adoption.adopter_tenant_id == viewer.tenant_id,
                              _readable(viewer)), _entry_link(viewer))


def _questions(viewer: Any, numbers: list[int]) -> Any:
    """A question about an entry, named by the entry: for the municipality that asked, the one asked, curators."""
    return ObjectQuery(object_rows(Question.id, Entry.title, Entry.id).join(Entry, Entry.id == Question.entry_id)
                       .where(Question.id.in_(numbers), _readable(viewer),
                              or_(Question.asker_tenant_id == viewer.tenant_id,
                                  Entry.source_tenant_id == viewer.tenant_id, _curator(viewer))),
                       _entry_link(viewer))


def _answers(viewer: Any, numbers: list[int]) -> Any:
    question = aliased(Question)
    return ObjectQuery(object_rows(Answer.id, Entry.title, Entry.id)
                       .join(question, question.id == Answer.question_id).join(Entry, Entry.id == question.entry_id)
                       .where(Answer.id.in_(numbers), _readable(viewer),
                              or_(Answer.answerer_tenant_id == viewer.tenant_id,
                                  question.asker_tenant_id == viewer.tenant_id, _curator(viewer))),
                       _entry_link(viewer))


def _synonyms(viewer: Any, numbers: list[int]) -> Any:
    """A group of search synonyms (shared reference data), linked to the curators' list."""
    link = "/curation/synonyms" if viewer.can(Permission.CASEBOOK_CURATE) else None
    return ObjectQuery(object_rows(Synonym.id, func.array_to_string(Synonym.terms, " ≈ ")).where(
        Synonym.id.in_(numbers)), lambda row: (row.title, link))


def _imported_files(viewer: Any, names: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    """A file the operators imported (flask casebook import): its name, nothing to open."""
    return {name: (name, None) for name in names}


register_object_resolver("case", _cases, numeric=True)
register_object_resolver("case_attachment", _attachments, numeric=True)
register_object_resolver("submission", _submissions, numeric=True)
register_object_resolver("casebook_entry", _entries, numeric=True)
register_object_resolver("casebook_adoption", _adoptions, numeric=True)
register_object_resolver("casebook_question", _questions, numeric=True)
register_object_resolver("casebook_answer", _answers, numeric=True)
register_object_resolver("synonym", _synonyms, numeric=True)
register_object_resolver("file", _imported_files)
