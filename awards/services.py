"""Writers for programmes, rubrics and entries. Services flush and audit; they never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Optional, Protocol

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from awards.models import (
    COMMENT_MODES,
    ENTRY_FIELDS,
    Category,
    Criterion,
    Entry,
    EntryFile,
    Programme,
    ScoreSheet,
    Submission,
    SubmissionFile,
)
from kernel import audit, uploads
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from kernel.notifications import notify
from tenants.models import User

MAX_FILES = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


# Programmes ------------------------------------------------------------------------------------


@dataclass
class ProgrammeData:
    fiscal_year: int
    title: str
    description: str
    entry_opens_at: datetime
    entry_closes_at: datetime
    judging_opens_at: datetime
    judging_closes_at: datetime
    blind: bool
    comment_mode: str
    has_final: bool
    reminder_days: int = 3  # days before judging closes to remind the judges with sheets left; 0: none


def _check_programme(data: ProgrammeData) -> None:
    if not data.title.strip():
        raise ServiceError(_("Enter a title."), "title")
    if not 2000 <= data.fiscal_year <= 2100:
        raise ServiceError(_("The fiscal year is not valid."), "fiscal_year")
    if data.entry_opens_at >= data.entry_closes_at:
        raise ServiceError(_("The entry deadline must be after the opening of entries."), "entry_closes_at")
    if data.judging_opens_at >= data.judging_closes_at:
        raise ServiceError(_("The end of judging must be after its start."), "judging_closes_at")
    if data.judging_opens_at < data.entry_opens_at:
        raise ServiceError(_("Judging cannot open before entries open."), "judging_opens_at")
    if data.comment_mode not in COMMENT_MODES:
        raise ServiceError(_("Choose how comments are handled."), "comment_mode")
    if not 0 <= data.reminder_days <= 60:
        raise ServiceError(_("Enter a number of days from 0 to 60 (0: no reminder)."), "reminder_days")


def _programme_state(p: Programme) -> dict[str, Any]:
    return {k: getattr(p, k) for k in ("fiscal_year", "title", "entry_opens_at", "entry_closes_at",
                                       "judging_opens_at", "judging_closes_at", "blind", "comment_mode",
                                       "has_final", "stage", "results_published_at", "reminder_days")}


def create_programme(actor: User, data: ProgrammeData) -> Programme:
    """Create an award programme (curators)."""
    _check_programme(data)
    programme = Programme(**{**data.__dict__, "title": data.title.strip()})
    db.session.add(programme)
    db.session.flush()
    audit.record("award.programme.create", "award_programme", programme.id, after=_programme_state(programme))
    return programme


def judging_started(programme: Programme, now: Optional[datetime] = None) -> bool:
    """Judging has started once its window opened or any score sheet exists; the rubric is then frozen."""
    if (now or utcnow()) >= programme.judging_opens_at:
        return True
    return bool(db.session.scalar(select(exists().where(
        ScoreSheet.submission_id == Submission.id, Submission.programme_id == programme.id))))


def _minute(value: datetime) -> datetime:
    # The form edits times to the minute: a time stored with seconds is unchanged when re-submitted.
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def update_programme(actor: User, programme: Programme, data: ProgrammeData, now: Optional[datetime] = None) -> None:
    """Change a programme's settings; blind mode and stages are fixed once judging has started."""
    _check_programme(data)
    before = _programme_state(programme)
    frozen = (data.blind != programme.blind or data.has_final != programme.has_final
              or _minute(data.judging_opens_at) != _minute(programme.judging_opens_at))
    if frozen and judging_started(programme, now):
        raise ServiceError(_("Once judging has started, blind review, the stages and the start of judging "
                             "cannot change."), "blind")
    for key, value in data.__dict__.items():
        if isinstance(value, datetime) and _minute(value) == _minute(getattr(programme, key)):
            continue  # unchanged to the minute: keep the stored time
        setattr(programme, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    audit.record("award.programme.update", "award_programme", programme.id, before=before,
                 after=_programme_state(programme))


def start_judging(actor: User, programme: Programme, now: Optional[datetime] = None) -> None:
    """Close the entry window now (if still open) and open judging now (curators)."""
    now = now or utcnow()
    before = _programme_state(programme)
    if now >= programme.judging_closes_at:
        raise ServiceError(_("The judging period is already over."))
    if programme.entry_opens_at >= now:
        raise ServiceError(_("Entries have not opened yet. Set the entry period first."))
    if programme.entry_closes_at > now:
        programme.entry_closes_at = now
    if programme.judging_opens_at > now:
        programme.judging_opens_at = now
    db.session.flush()
    audit.record("award.programme.start_judging", "award_programme", programme.id, before=before,
                 after=_programme_state(programme))


def _require_rubric_open(programme: Programme, now: Optional[datetime]) -> None:
    if judging_started(programme, now):
        raise ServiceError(_("Judging has started: the categories and the criteria can no longer change."))


def save_category(actor: User, programme: Programme, name: str, description: str,
                  category: Optional[Category] = None, now: Optional[datetime] = None) -> Category:
    """Add or edit a category (部門) until judging starts."""
    _require_rubric_open(programme, now)
    if not name.strip():
        raise ServiceError(_("Enter the name of the category."), "name")
    before = None if category is None else {"name": category.name, "description": category.description}
    if category is None:
        category = Category(programme_id=programme.id, name=name.strip(), description=description.strip(),
                            position=len(programme.categories))
        programme.categories.append(category)
    else:
        category.name, category.description = name.strip(), description.strip()
    db.session.flush()
    audit.record("award.category.save", "award_category", category.id, before=before,
                 after={"programme_id": programme.id, "name": category.name, "description": category.description})
    return category


def delete_category(actor: User, programme: Programme, category: Category, now: Optional[datetime] = None) -> None:
    """Remove a category that has no entries, until judging starts."""
    _require_rubric_open(programme, now)
    if db.session.scalar(select(exists().where(Submission.category_id == category.id))):
        raise ServiceError(_("A category with entries cannot be deleted."))
    before = {"name": category.name}
    programme.categories.remove(category)
    db.session.flush()
    audit.record("award.category.delete", "award_category", category.id, before=before)


@dataclass
class CriterionData:
    name: str
    description: str
    weight: int
    scale_min: int
    scale_max: int
    levels: str


def save_criterion(actor: User, programme: Programme, data: CriterionData, criterion: Optional[Criterion] = None,
                   now: Optional[datetime] = None) -> Criterion:
    """Add or edit a rubric criterion until judging starts."""
    _require_rubric_open(programme, now)
    if not data.name.strip():
        raise ServiceError(_("Enter the name of the criterion."), "name")
    if not 1 <= data.weight <= 100:
        raise ServiceError(_("The weight must be a whole number from 1 to 100."), "weight")
    if not (0 <= data.scale_min < data.scale_max <= 10):
        raise ServiceError(_("The scale must lie between 0 and 10, its minimum below its maximum."), "scale_max")
    levels = "\n".join(line.strip() for line in data.levels.strip().splitlines())
    before = None
    if criterion is None:
        criterion = Criterion(programme_id=programme.id, position=len(programme.criteria))
        programme.criteria.append(criterion)
    else:
        before = {k: getattr(criterion, k) for k in ("name", "weight", "scale_min", "scale_max", "levels")}
    criterion.name, criterion.description = data.name.strip(), data.description.strip()
    criterion.weight, criterion.scale_min, criterion.scale_max, criterion.levels = (
        data.weight, data.scale_min, data.scale_max, levels)
    db.session.flush()
    audit.record("award.criterion.save", "award_criterion", criterion.id, before=before,
                 after={"programme_id": programme.id, "name": criterion.name, "weight": criterion.weight,
                        "scale_min": criterion.scale_min, "scale_max": criterion.scale_max, "levels": levels})
    return criterion


def delete_criterion(actor: User, programme: Programme, criterion: Criterion, now: Optional[datetime] = None) -> None:
    """Remove a rubric criterion until judging starts."""
    _require_rubric_open(programme, now)
    before = {"name": criterion.name, "weight": criterion.weight}
    programme.criteria.remove(criterion)
    db.session.flush()
    audit.record("award.criterion.delete", "award_criterion", criterion.id, before=before)


def list_programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.fiscal_year.desc(), Programme.id.desc())))


def get_programme(programme_id: int, with_criteria: bool = False) -> Optional[Programme]:
    return db.session.get(Programme, programme_id, options=[joinedload(Programme.criteria)] if with_criteria else ())


def entry_window_open(programme: Programme, now: Optional[datetime] = None) -> bool:
    now = now or utcnow()
    return programme.entry_opens_at <= now < programme.entry_closes_at


class JudgingWindow(Protocol):
    """What the judging window is read from: a ``Programme``, or the scoring page's plain row of it."""

    @property
    def judging_opens_at(self) -> datetime: ...

    @property
    def judging_closes_at(self) -> datetime: ...


def judging_window_open(programme: JudgingWindow, now: Optional[datetime] = None) -> bool:
    now = now or utcnow()
    return programme.judging_opens_at <= now < programme.judging_closes_at


# Entries (tenant-owned) -----------------------------------------------------------------------


def _entry_state(entry: Entry) -> dict[str, Any]:
    return {k: getattr(entry, k) for k in ("title", "category_id", "status", "case_id", *ENTRY_FIELDS)}


def _clean_fields(fields: dict[str, str]) -> dict[str, str]:
    cleaned = {k: (fields.get(k) or "").strip() for k in ("title", *ENTRY_FIELDS)}
    if not cleaned["title"]:
        raise ServiceError(_("Enter the title of the initiative."), "title")
    if len(cleaned["title"]) > 200:
        raise ServiceError(_("The title must be at most 200 characters."), "title")
    for key in ENTRY_FIELDS:
        if len(cleaned[key]) > 8000:
            raise ServiceError(_("Each section must be at most 8,000 characters."), key)
    return cleaned


def _require_entry_window(programme: Programme, now: Optional[datetime]) -> None:
    now = now or utcnow()
    if now < programme.entry_opens_at:
        raise ServiceError(_("Entries have not opened yet."))
    if now >= programme.entry_closes_at:
        raise ServiceError(_("The entry deadline has passed: late entries and changes are refused."))


def _check_category(programme: Programme, category_id: int) -> None:
    if category_id not in {c.id for c in programme.categories}:
        raise ServiceError(_("Choose a category."), "category_id")


def create_entry(actor: User, programme: Programme, category_id: int, fields: dict[str, str],
                 case_id: Optional[int] = None, now: Optional[datetime] = None) -> Entry:
    """Start an entry of the actor's municipality (from one of its cases or from scratch)."""
    _require_entry_window(programme, now)
    _check_category(programme, category_id)
    entry = Entry(tenant_id=actor.tenant_id, programme_id=programme.id, category_id=category_id, case_id=case_id,
                  created_by=actor.id, **_clean_fields(fields))
    db.session.add(entry)
    db.session.flush()
    audit.record("award.entry.create", "award_entry", entry.id, after=_entry_state(entry))
    return entry


def update_entry(actor: User, entry: Entry, programme: Programme, category_id: int, fields: dict[str, str],
                 now: Optional[datetime] = None) -> None:
    """Edit a draft entry."""
    _require_entry_window(programme, now)
    if entry.status != "draft":
        raise ServiceError(_("An entry awaiting approval or submitted cannot be edited."))
    _check_category(programme, category_id)
    before = _entry_state(entry)
    for key, value in _clean_fields(fields).items():
        setattr(entry, key, value)
    entry.category_id = category_id
    entry.updated_at = utcnow()
    db.session.flush()
    audit.record("award.entry.update", "award_entry", entry.id, before=before, after=_entry_state(entry))


def add_file(actor: User, entry: Entry, filename: str, data: bytes) -> EntryFile:
    """Attach a PDF to a draft entry (PDF only: its metadata can then be stripped for blind review)."""
    if entry.status != "draft":
        raise ServiceError(_("Files cannot be added to an entry awaiting approval or submitted."), "file")
    upload = uploads.take_upload(filename, data, uploads.PDF, _("Only PDF files can be attached."))
    name = upload.filename
    if len(entry.files) >= MAX_FILES:
        raise ServiceError(_("At most 5 files can be attached."), "file")
    row = EntryFile(tenant_id=entry.tenant_id, entry_id=entry.id, filename=name, content_type="application/pdf",
                    size=len(data), data=data)
    entry.files.append(row)
    db.session.flush()
    audit.record("award.entry.file_add", "award_entry", entry.id, after={"file": name, "size": len(data)})
    return row


def remove_file(actor: User, entry: Entry, file: EntryFile) -> None:
    if entry.status != "draft":
        raise ServiceError(_("Files of an entry awaiting approval or submitted cannot be removed."), "file")
    entry.files.remove(file)
    db.session.flush()
    audit.record("award.entry.file_remove", "award_entry", entry.id, before={"file": file.filename})


def request_approval(actor: User, entry: Entry, programme: Programme, now: Optional[datetime] = None) -> None:
    """Ask the municipality's tenant admin to approve and submit the entry."""
    _require_entry_window(programme, now)
    if entry.status != "draft":
        raise ServiceError(_("This entry is not a draft."))
    entry.status, entry.requested_at = "pending", now or utcnow()
    db.session.flush()
    audit.record("award.entry.request_approval", "award_entry", entry.id, before={"status": "draft"},
                 after={"status": "pending"})
    notify("awards.entry_pending", url=f"/awards/entries/{entry.id}", actor=(actor.tenant_id, actor.id),
           tenant_id=entry.tenant_id, title=entry.title)


def return_entry(actor: User, entry: Entry) -> None:
    """The tenant admin sends a pending entry back to draft."""
    if entry.status != "pending":
        raise ServiceError(_("This entry is not awaiting approval."))
    entry.status = "draft"
    db.session.flush()
    audit.record("award.entry.return", "award_entry", entry.id, before={"status": "pending"},
                 after={"status": "draft"})
    notify("awards.entry_returned", url=f"/awards/entries/{entry.id}", actor=(actor.tenant_id, actor.id),
           author=(entry.tenant_id, entry.created_by), title=entry.title)


def approve_entry(actor: User, entry: Entry, programme: Programme, now: Optional[datetime] = None) -> Submission:
    """Tenant admin's approval: the entry is submitted, copied into the programme's shared space."""
    now = now or utcnow()
    _require_entry_window(programme, now)
    if entry.status != "pending":
        raise ServiceError(_("This entry is not awaiting approval."))
    # Serialise reference numbers per programme.
    db.session.execute(select(Programme.id).where(Programme.id == programme.id).with_for_update())
    next_no = (db.session.scalar(select(func.max(Submission.reference_no)).where(
        Submission.programme_id == programme.id)) or 0) + 1
    submission = Submission(programme_id=programme.id, category_id=entry.category_id, reference_no=next_no,
                            entrant_code=entry.tenant_id, entry_id=entry.id, title=entry.title, submitted_at=now,
                            **{k: getattr(entry, k) for k in ENTRY_FIELDS})
    for f in entry.files:
        submission.files.append(SubmissionFile(filename=f.filename, content_type=f.content_type, size=f.size,
                                               data=f.data))
    db.session.add(submission)
    db.session.flush()
    entry.status, entry.approved_by, entry.submitted_at, entry.submission_id = "submitted", actor.id, now, submission.id
    db.session.flush()
    audit.record("award.entry.approve", "award_entry", entry.id, before={"status": "pending"},
                 after={"status": "submitted", "submission_id": submission.id, "reference": submission.reference})
    notify("awards.entry_submitted", url=f"/awards/entries/{entry.id}", actor=(actor.tenant_id, actor.id),
           author=(entry.tenant_id, entry.created_by), title=entry.title)
    return submission


def withdraw_entry(actor: User, entry: Entry, programme: Programme, now: Optional[datetime] = None) -> None:
    """Withdraw a pending or submitted entry while the entry window is open."""
    now = now or utcnow()
    if now >= programme.entry_closes_at:
        raise ServiceError(_("Entries cannot be withdrawn after the deadline."))
    if entry.status not in ("pending", "submitted", "draft"):
        raise ServiceError(_("This entry cannot be withdrawn."))
    before = entry.status
    entry.status, entry.withdrawn_at = "withdrawn", now
    if entry.submission_id is not None:
        submission = db.session.get(Submission, entry.submission_id)
        if submission is not None:
            submission.withdrawn_at = now
    db.session.flush()
    audit.record("award.entry.withdraw", "award_entry", entry.id, before={"status": before},
                 after={"status": "withdrawn"})


def list_entries(tenant_id: str, programme_id: Optional[int] = None) -> list[Entry]:
    query = select(Entry).where(Entry.tenant_id == tenant_id)
    if programme_id is not None:
        query = query.where(Entry.programme_id == programme_id)
    return list(db.session.scalars(query.order_by(Entry.id.desc())))


def get_entry(tenant_id: str, entry_id: int) -> Optional[Entry]:
    return db.session.get(Entry, (tenant_id, entry_id))
