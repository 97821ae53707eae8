"""How the audit log names the awards' objects.

Programmes, their categories and criteria are public to every logged-in person (the programme page). A
municipality's entries and their files are its own (RLS). The programme space's submissions, judges and
score sheets are named for the organisers (linked to their pages) and, without what the organisers alone
see, for the municipality they concern: its own submission, its own people as judges; another
municipality's entry is never named to anyone else.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import String, cast, func

from awards.models import Category, Criterion, Entry, EntryFile, Judge, Programme, ScoreSheet, Submission
from kernel.audit import ObjectQuery, object_rows, register_object_resolver
from tenants.roles import Permission


def _reference(number: Any) -> Any:
    """SQL: E-001 from a submission's reference number."""
    return "E-" + func.lpad(cast(number, String), 3, "0")


def _programmes(viewer: Any, numbers: list[int]) -> Any:
    """A programme (also for the judging and results entries, whose object is the programme)."""
    return ObjectQuery(object_rows(Programme.id, Programme.title).where(Programme.id.in_(numbers)),
                       lambda row: (row.title, f"/awards/programmes/{row.object_id}"))


def _in_programme(row: Any) -> tuple[str, Optional[str]]:
    return row.title, f"/awards/programmes/{row.extra}"


def _categories(viewer: Any, numbers: list[int]) -> Any:
    return ObjectQuery(object_rows(Category.id, Category.name + " — " + Programme.title, Programme.id)
                       .join(Programme, Programme.id == Category.programme_id).where(Category.id.in_(numbers)),
                       _in_programme)


def _criteria(viewer: Any, numbers: list[int]) -> Any:
    return ObjectQuery(object_rows(Criterion.id, Criterion.name + " — " + Programme.title, Programme.id)
                       .join(Programme, Programme.id == Criterion.programme_id).where(Criterion.id.in_(numbers)),
                       _in_programme)


def _entries(viewer: Any, numbers: list[int]) -> Any:
    link = viewer.can(Permission.AWARD_ENTRY_DRAFT)
    return ObjectQuery(object_rows(Entry.id, Entry.title).where(Entry.tenant_id == viewer.tenant_id,
                                                                Entry.id.in_(numbers)),
                       lambda row: (row.title, f"/awards/entries/{row.object_id}" if link else None))


def _entry_files(viewer: Any, numbers: list[int]) -> Any:
    link = viewer.can(Permission.AWARD_ENTRY_DRAFT)
    return ObjectQuery(object_rows(EntryFile.id, EntryFile.filename, EntryFile.entry_id).where(
        EntryFile.tenant_id == viewer.tenant_id, EntryFile.id.in_(numbers)),
        lambda row: (row.title, f"/awards/entries/{row.extra}" if link else None))


def _submissions(viewer: Any, numbers: list[int]) -> Any:
    """A submitted entry: for the organisers (the programme's submissions) and for the municipality that sent it
    (its own entry); a judge's code in a refused request is not an id and stays unnamed."""
    organiser = viewer.can(Permission.AWARDS_ORGANISE)
    page = Submission.programme_id if organiser else Submission.entry_id
    statement = object_rows(Submission.id, _reference(Submission.reference_no) + " " + Submission.title, page).where(
        Submission.id.in_(numbers))
    if not organiser:
        statement = statement.where(Submission.entrant_code == viewer.tenant_id)
    entries = viewer.can(Permission.AWARD_ENTRY_DRAFT)
    return ObjectQuery(statement, lambda row: (row.title, f"/awards/programmes/{row.extra}/submissions" if organiser
                                               else f"/awards/entries/{row.extra}" if entries else None))


def _judges(viewer: Any, numbers: list[int]) -> Any:
    """A judge of a programme: for the organisers, and for the judge's own municipality (its own person)."""
    organiser = viewer.can(Permission.AWARDS_ORGANISE)
    statement = (object_rows(Judge.id, Judge.display_name + " — " + Programme.title)
                 .join(Programme, Programme.id == Judge.programme_id).where(Judge.id.in_(numbers)))
    if not organiser:
        statement = statement.where(Judge.judge_tenant == viewer.tenant_id)
    return ObjectQuery(statement, lambda row: (row.title, f"/awards/judges/{row.object_id}" if organiser else None))


def _score_sheets(viewer: Any, numbers: list[int]) -> Any:
    """A judge's score sheet: the entry and the judge for the organisers; for the judge's own municipality only
    the entry's reference (which entry another municipality sent is not theirs to read)."""
    organiser = viewer.can(Permission.AWARDS_ORGANISE)
    entry = _reference(Submission.reference_no) + (" " + Submission.title if organiser else "")
    statement = (object_rows(ScoreSheet.id, entry + " — " + Judge.display_name, Judge.id)
                 .join(Submission, Submission.id == ScoreSheet.submission_id)
                 .join(Judge, Judge.id == ScoreSheet.judge_id).where(ScoreSheet.id.in_(numbers)))
    if not organiser:
        statement = statement.where(Judge.judge_tenant == viewer.tenant_id)
    return ObjectQuery(statement, lambda row: (row.title, f"/awards/judges/{row.extra}" if organiser else None))


register_object_resolver("award_programme", _programmes, numeric=True)
register_object_resolver("award_programme_judging", _programmes, numeric=True)
register_object_resolver("award_results", _programmes, numeric=True)
register_object_resolver("award_category", _categories, numeric=True)
register_object_resolver("award_criterion", _criteria, numeric=True)
register_object_resolver("award_entry", _entries, numeric=True)
register_object_resolver("award_entry_file", _entry_files, numeric=True)
register_object_resolver("award_submission", _submissions, numeric=True)
register_object_resolver("award_judge", _judges, numeric=True)
register_object_resolver("award_score_sheet", _score_sheets, numeric=True)
