"""Writers of a municipality's own cases: create, edit (versioned), attachments, release sign-off.

Services flush and audit; they never commit (one commit per request at its boundary).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Optional

from flask import g
from flask_babel import gettext as _
from sqlalchemy import select, update

from casebook import search
from casebook.models import CONTENT_FIELDS, Case, CaseAttachment, CaseVersion, Entry, Submission
from casebook.validation import check_content
from kernel import audit, uploads
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify
from tenants.models import Tenant


class StaleVersion(ServiceError):
    """The case changed since the person loaded it (answered 409, their input kept)."""

    def __init__(self, current: int):
        super().__init__(f"この事例は他の人が更新しました（現在の版: {current}）。"
                         "内容を確認してから保存し直してください。")
        self.current = current




def _vector(case: Case | Entry) -> Any:
    return search.content_vector(case.content())


def get_case(tenant_id: str, case_id: int, *, for_update: bool = False) -> Optional[Case]:
    """A case of the given tenant (RLS hides any other), or None."""
    stmt = select(Case).where(Case.tenant_id == tenant_id, Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def _snapshot(case: Case, actor_id: Optional[int], note: str) -> None:
    db.session.add(CaseVersion(tenant_id=case.tenant_id, case_id=case.id, version=case.version,
                               data=case.content(), note=note[:200], created_by=actor_id))
    db.session.flush()  # under the case's tenant binding, before anything may rebind it


def create_case(tenant_id: str, actor_id: Optional[int], content: dict[str, Any], *,
                external_id: Optional[str] = None, origin: str = "", note: str = "") -> Case:
    """Create a case (version 1) in the bound tenant; content must come from casebook.validation."""
    content = check_content(dict(content))
    case = Case(tenant_id=tenant_id, external_id=external_id, origin=origin[:200], version=1,
                release_state="draft", created_by=actor_id, updated_by=actor_id,
                **{k: content[k] for k in CONTENT_FIELDS})
    case.search_vector = _vector(case)
    db.session.add(case)
    db.session.flush()
    _snapshot(case, actor_id, note or "作成")
    audit.record("case.create", "case", case.id, after={"title": case.title, "external_id": external_id},
                 tenant_id=tenant_id, user_id=actor_id)
    return case


def update_case(case: Case, actor_id: Optional[int], content: dict[str, Any], expected_version: int) -> Case:
    """Save a new version; StaleVersion when the case moved on since ``expected_version``."""
    content = check_content(dict(content))
    db.session.refresh(case, with_for_update=True)  # serialise concurrent saves of one case
    if case.version != expected_version:
        raise StaleVersion(case.version)
    before = case.content()
    changed = {k for k in CONTENT_FIELDS if before.get(k) != content[k]}
    if not changed:
        return case
    for name in CONTENT_FIELDS:
        setattr(case, name, content[name])
    case.version += 1
    case.updated_by = actor_id
    case.updated_at = datetime.now(UTC)
    if case.release_state == "proposed":
        case.release_state = "draft"  # the admin signs off what they saw, not a later edit
    case.search_vector = _vector(case)
    db.session.flush()
    _snapshot(case, actor_id, "更新")
    audit.record("case.update", "case", case.id, before={k: before[k] for k in sorted(changed)},
                 after={k: content[k] for k in sorted(changed)})
    return case


def list_versions(case: Case) -> list[CaseVersion]:
    return list(db.session.scalars(select(CaseVersion).where(
        CaseVersion.tenant_id == case.tenant_id, CaseVersion.case_id == case.id).order_by(CaseVersion.version.desc())))


def get_version(case: Case, number: int) -> Optional[CaseVersion]:
    return db.session.get(CaseVersion, (case.tenant_id, case.id, number))


# Release: member proposes → tenant admin approves (the municipality's sign-off) → curators' queue.

def propose_case(case: Case, actor_id: int) -> None:
    """A member asks the municipality's admin to release the case to the casebook."""
    if case.release_state == "proposed":
        raise ServiceError(_("This case is already awaiting approval."))
    pending = open_submission(case)
    if pending is not None and pending.status == "queued":
        raise ServiceError(_("This case is already awaiting review by the Tokyo Metropolitan Government."))
    case.release_state = "proposed"
    db.session.flush()
    audit.record("case.propose", "case", case.id, after={"version": case.version})
    notify("casebook.case_proposed", url=f"/cases/{case.id}", actor=(case.tenant_id, actor_id),
           tenant_id=case.tenant_id, title=case.title)


def approve_release(case: Case, actor_id: int) -> Submission:
    """The tenant admin signs the current version off: a snapshot goes to the curators' queue."""
    if case.release_state != "proposed":
        raise ServiceError(_("This case is not awaiting approval."))
    case.release_state = "approved"
    submission = queue_submission(case, approved_by=actor_id)
    audit.record("case.approve_release", "case", case.id, after={"version": case.version,
                                                                  "submission": submission.id})
    notify("casebook.case_approved", url=f"/cases/{case.id}", actor=(case.tenant_id, actor_id),
           author=author_of(case), title=case.title)
    return submission


def return_to_draft(case: Case, actor_id: int) -> None:
    """The tenant admin declines to release the case for now."""
    if case.release_state != "proposed":
        raise ServiceError(_("This case is not awaiting approval."))
    case.release_state = "draft"
    db.session.flush()
    audit.record("case.release_declined", "case", case.id)
    notify("casebook.case_declined", url=f"/cases/{case.id}", actor=(case.tenant_id, actor_id),
           author=author_of(case), title=case.title)


def queue_submission(case: Case, *, approved_by: Optional[int], origin: str = "") -> Submission:
    """Copy the case's current content into the curators' queue (superseding an older open one)."""
    db.session.execute(update(Submission).where(
        Submission.source_tenant_id == case.tenant_id, Submission.source_case_id == case.id,
        Submission.status.in_(("queued", "changes_requested"))).values(status="superseded"))
    submission = Submission(source_tenant_id=case.tenant_id, source_case_id=case.id, source_version=case.version,
                            data=case.content(), status="queued", approved_by=approved_by,
                            origin=(origin or case.origin)[:200])
    db.session.add(submission)
    db.session.flush()
    audit.record("submission.create", "submission", submission.id,
                 after={"case": case.id, "version": case.version})
    if submission.origin != "import":  # an operator's bulk import publishes at once: nothing waits on a curator
        tenant = db.session.get(Tenant, case.tenant_id)
        notify("casebook.submission_queued", url=f"/curation/{submission.id}", title=case.title,
               by_ja=tenant.name_ja if tenant else "", by_en=tenant.name_en if tenant else "")
    return submission


def author_of(case: Case) -> Optional[tuple[str, int]]:
    """(tenant_id, user_id) of the person who wrote the case, for notifications (None for imported cases)."""
    return (case.tenant_id, case.created_by) if case.created_by is not None else None


def open_submission(case: Case) -> Optional[Submission]:
    return db.session.scalar(select(Submission).where(
        Submission.source_tenant_id == case.tenant_id, Submission.source_case_id == case.id,
        Submission.status.in_(("queued", "changes_requested"))).order_by(Submission.id.desc()).limit(1))


def latest_submission(case: Case) -> Optional[Submission]:
    return db.session.scalar(select(Submission).where(
        Submission.source_tenant_id == case.tenant_id, Submission.source_case_id == case.id,
        Submission.status != "superseded").order_by(Submission.id.desc()).limit(1))


def published_entry_of(case: Case) -> Optional[Entry]:
    return db.session.scalar(select(Entry).where(Entry.source_tenant_id == case.tenant_id,
                                                 Entry.source_case_id == case.id))


# Attachments --------------------------------------------------------------------------------

# PDF, Office documents and images; the intake reads the type from the bytes (kernel.uploads).
ATTACHMENT_TYPES = {**uploads.PDF, **uploads.OFFICE, **uploads.IMAGES}


def add_attachment(case: Case, actor_id: int, filename: str, data: bytes) -> CaseAttachment:
    """Store a file with the case after checking its size and its real type."""
    upload = uploads.take_upload(filename, data, ATTACHMENT_TYPES, _(
        "You can attach PDF files, Office documents (Word, Excel, PowerPoint) and images (PNG, JPEG, GIF, "
        "WebP). The content of this file is not one of these formats."))
    name, mime = upload.filename, upload.content_type
    row = CaseAttachment(tenant_id=case.tenant_id, case_id=case.id, filename=name, content_type=mime,
                         size=len(data), data=data, created_by=actor_id)
    db.session.add(row)
    db.session.flush()
    audit.record("case.attachment_add", "case", case.id, after={"attachment": row.id, "filename": name,
                                                                 "content_type": mime, "size": len(data)})
    return row


def list_attachments(case: Case) -> list[CaseAttachment]:
    return list(db.session.scalars(select(CaseAttachment).where(
        CaseAttachment.tenant_id == case.tenant_id, CaseAttachment.case_id == case.id).order_by(CaseAttachment.id)))


def get_attachment(case: Case, attachment_id: int) -> Optional[CaseAttachment]:
    row = db.session.get(CaseAttachment, (case.tenant_id, attachment_id))
    return row if row is not None and row.case_id == case.id else None


def delete_attachment(case: Case, row: CaseAttachment) -> None:
    db.session.delete(row)
    db.session.flush()
    audit.record("case.attachment_delete", "case", case.id, before={"attachment": row.id, "filename": row.filename})


def current_actor_id() -> Optional[int]:
    return g.get("user_id")
