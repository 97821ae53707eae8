"""The engagement workspace: meetings, next actions, files, time logs and measured outcomes.

The municipality's people and the supporters assigned to the engagement write here (access.can_work);
time is logged by the supporters only. Every create carries a one-time form token: a double submit
returns the first row instead of a second one.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from sqlalchemy import select

from kernel import audit, uploads
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from support import access, queries
from support.models import (
    ACTIVITIES,
    INDICATORS,
    Engagement,
    Meeting,
    NextAction,
    Outcome,
    SupportFile,
    TimeLog,
)
from support.services.common import StaleVersion, actor_name, clean_token, now, text

MAX_DECIMAL = Decimal("999999999999.99")


def _may_work(actor: Any, engagement: Engagement) -> None:
    if not access.can_work(actor, engagement, queries.assignments(engagement)):
        raise ServiceError(_("Only the municipality's staff and the assigned supporters can work on this "
                             "engagement while it runs."))


def _existing(model: Any, engagement: Engagement, token: Optional[str]) -> Any:
    if token is None:
        return None
    return db.session.scalar(select(model).where(model.tenant_id == engagement.tenant_id, model.form_token == token))


def _audit(event: str, engagement: Engagement, **after: Any) -> None:
    audit.record(event, "support_engagement", f"{engagement.tenant_id}:{engagement.id}", after=after)


def add_meeting(actor: Any, engagement: Engagement, held_on: Optional[date], title: str, attendees: str,
                notes: str, form_token: Any = None) -> Meeting:
    """Record a meeting (date, attendees, notes)."""
    _may_work(actor, engagement)
    token = clean_token(form_token)
    existing = _existing(Meeting, engagement, token)
    if existing is not None:
        return existing
    if held_on is None:
        raise ServiceError(_("Enter a date such as 2027-04-01."), "held_on")
    row = Meeting(tenant_id=engagement.tenant_id, engagement_id=engagement.id, held_on=held_on,
                  title=text(title, 200, "title", required=True), attendees=text(attendees, 2000, "attendees"),
                  notes=text(notes, 20000, "notes"), form_token=token, created_by=actor.id,
                  created_by_name=actor_name(actor))
    db.session.add(row)
    db.session.flush()
    _audit("support.meeting_add", engagement, meeting=row.id, held_on=held_on)
    return row


def add_action(actor: Any, engagement: Engagement, title: str, owner_name: str, due_on: Optional[date],
               form_token: Any = None) -> NextAction:
    """Add a next action with its owner and due date."""
    _may_work(actor, engagement)
    token = clean_token(form_token)
    existing = _existing(NextAction, engagement, token)
    if existing is not None:
        return existing
    row = NextAction(tenant_id=engagement.tenant_id, engagement_id=engagement.id,
                     title=text(title, 200, "title", required=True),
                     owner_name=text(owner_name, 200, "owner_name", required=True), due_on=due_on, form_token=token,
                     created_by_name=actor_name(actor))
    db.session.add(row)
    db.session.flush()
    _audit("support.action_add", engagement, action=row.id)
    return row


def complete_action(actor: Any, engagement: Engagement, action_id: int) -> None:
    """Mark a next action done (a second click changes nothing)."""
    _may_work(actor, engagement)
    row = db.session.get(NextAction, (engagement.tenant_id, action_id))
    if row is None or row.engagement_id != engagement.id:
        raise ServiceError(_("This action does not exist."))
    if row.done_at is None:
        row.done_at = now()
        db.session.flush()
        _audit("support.action_done", engagement, action=row.id)


def parse_hours(value: Any) -> int:
    """Hours as typed (1.5, ２, 0.25) → whole minutes; refused outside 1 minute to 24 hours."""
    import unicodedata

    raw = unicodedata.normalize("NFKC", str(value or "")).strip()
    try:
        hours = Decimal(raw)
    except InvalidOperation:
        raise ServiceError(_("Enter the hours as a number such as 1.5."), "hours") from None
    minutes = int((hours * 60).to_integral_value())
    if not hours.is_finite() or not 1 <= minutes <= 1440:
        raise ServiceError(_("Enter the hours as a number such as 1.5."), "hours")
    return minutes


def log_time(actor: Any, engagement: Engagement, logged_on: Optional[date], activity: str, hours: Any, note: str,
             form_token: Any = None) -> TimeLog:
    """A supporter logs time spent on the engagement, per activity type."""
    if not access.is_assigned(actor, queries.assignments(engagement)):
        raise ServiceError(_("Only supporters assigned to this engagement log time on it."))
    _may_work(actor, engagement)
    token = clean_token(form_token)
    existing = _existing(TimeLog, engagement, token)
    if existing is not None:
        return existing
    if activity not in ACTIVITIES:
        raise ServiceError(_("Choose an activity from the list."), "activity")
    if logged_on is None or logged_on > now().date():
        raise ServiceError(_("Enter the date the time was spent (not in the future)."), "logged_on")
    row = TimeLog(tenant_id=engagement.tenant_id, engagement_id=engagement.id, user_id=actor.id,
                  user_name=actor_name(actor), activity=activity, minutes=parse_hours(hours), logged_on=logged_on,
                  note=text(note, 500, "note"), form_token=token)
    db.session.add(row)
    db.session.flush()
    _audit("support.time_log", engagement, minutes=row.minutes, activity=activity)
    return row


# Files: the portal's one upload intake (size from MAX_UPLOAD_MB, type from the bytes, a safe name).
ALLOWED_FILES = {**uploads.PDF, **uploads.OFFICE, **uploads.IMAGES}


def add_file(actor: Any, engagement: Engagement, filename: str, data: bytes, *, kind: str = "deliverable",
             title: str = "") -> SupportFile:
    """Store a file of the request (its drafter) or a deliverable (the workspace's people)."""
    if kind == "request":
        if not access.is_requester_side(actor, engagement) or engagement.release_state == "submitted":
            raise ServiceError(_("Files of the request can be added while it is a draft."))
    else:
        _may_work(actor, engagement)
    upload = uploads.take_upload(filename, data, ALLOWED_FILES, _(
        "You can attach PDF files, Office documents (Word, Excel, PowerPoint) and images (PNG, JPEG, GIF, WebP). "
        "The content of this file is not one of these formats."))
    row = SupportFile(tenant_id=engagement.tenant_id, engagement_id=engagement.id, kind=kind,
                      title=text(title, 200, "title") or upload.filename, filename=upload.filename,
                      content_type=upload.content_type, size=upload.size, data=upload.data,
                      created_by_tenant=actor.tenant_id, created_by=actor.id, created_by_name=actor_name(actor))
    db.session.add(row)
    db.session.flush()
    _audit("support.file_add", engagement, file=row.id, filename=upload.filename, size=upload.size,
           content_type=upload.content_type)
    return row


# Outcomes ----------------------------------------------------------------------------------------

def parse_decimal(value: Any, field: str, required: bool) -> Optional[Decimal]:
    import unicodedata

    raw = unicodedata.normalize("NFKC", str(value or "")).replace(",", "").strip()
    if not raw:
        if required:
            raise ServiceError(_("Enter a number."), field)
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ServiceError(_("Enter a number such as 1200 or 12.5."), field) from None
    if not number.is_finite() or abs(number) > MAX_DECIMAL:
        raise ServiceError(_("Enter a number such as 1200 or 12.5."), field)
    return number.quantize(Decimal("0.01"))


def save_outcome(actor: Any, engagement: Engagement, values: dict[str, Any], outcome: Optional[Outcome] = None,
                 expected_version: Optional[int] = None) -> Outcome:
    """Add an indicator (or update one): baseline and after values, each with date and source."""
    _may_work(actor, engagement)
    indicator = values.get("indicator")
    if indicator not in INDICATORS:
        raise ServiceError(_("Choose an indicator from the list."), "indicator")
    label = text(values.get("label"), 200, "label", required=indicator == "custom")
    baseline = parse_decimal(values.get("baseline_value"), "baseline_value", True)
    after = parse_decimal(values.get("after_value"), "after_value", False)
    if values.get("baseline_on") is None:
        raise ServiceError(_("Enter a date such as 2027-04-01."), "baseline_on")
    if after is not None and values.get("after_on") is None:
        raise ServiceError(_("Enter the date of the after value."), "after_on")
    if after is not None and values["after_on"] < values["baseline_on"]:
        raise ServiceError(_("The after value must be measured after the baseline."), "after_on")
    if after is not None and not (values.get("after_source") or "").strip():
        raise ServiceError(_("Enter where the after value comes from."), "after_source")
    fields = dict(indicator=indicator, label=label, unit=text(values.get("unit"), 40, "unit"),
                  baseline_value=baseline, baseline_on=values["baseline_on"],
                  baseline_source=text(values.get("baseline_source"), 300, "baseline_source", required=True),
                  after_value=after, after_on=values.get("after_on") if after is not None else None,
                  after_source=text(values.get("after_source"), 300, "after_source"))
    if outcome is None:
        outcome = Outcome(tenant_id=engagement.tenant_id, engagement_id=engagement.id, **fields)
        db.session.add(outcome)
        event = "support.outcome_add"
    else:
        if expected_version != outcome.version:
            raise StaleVersion()
        for key, value in fields.items():
            setattr(outcome, key, value)
        outcome.version += 1
        outcome.updated_at = now()
        event = "support.outcome_update"
    db.session.flush()
    _audit(event, engagement, outcome=outcome.id, **{k: v for k, v in fields.items() if k != "label"})
    return outcome
