"""Meetings: schedule, agenda items, registrations (RSVP), materials and reminders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from community import access, notify
from community.models import ATTENDANCE, VISIBILITIES, AgendaItem, Body, Material, Meeting, Registration
from community.services.common import clean, denied, utcnow
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify as kernel_notify
from kernel.uploads import IMAGES, OFFICE, PDF, take_upload


@dataclass
class MeetingData:
    title: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    location: str
    online_url: str


def _checked(data: MeetingData) -> dict[str, Any]:
    title = clean(data.title, 200, "title")
    if data.starts_at is None:
        raise ServiceError(_("Enter the start."), "starts_at")
    if data.ends_at is None or data.ends_at <= data.starts_at:
        raise ServiceError(_("The end must be after the start."), "ends_at")
    online_url = clean(data.online_url, 500, "online_url", required=False)
    if online_url and not online_url.startswith(("https://", "http://")):
        raise ServiceError(_("Enter a web address starting with https://."), "online_url")
    return {"title": title, "starts_at": data.starts_at, "ends_at": data.ends_at,
            "location": clean(data.location, 300, "location", required=False), "online_url": online_url}


def _state(meeting: Meeting) -> dict[str, Any]:
    return {k: getattr(meeting, k) for k in ("title", "starts_at", "ends_at", "location", "online_url", "status")}


def create_meeting(actor: Any, body: Body, data: MeetingData) -> Meeting:
    """Schedule a meeting of a body; the member municipalities' administrators are told."""
    if not access.is_organiser(actor):
        raise denied()
    meeting = Meeting(body_id=body.id, **_checked(data))
    db.session.add(meeting)
    db.session.flush()
    audit.record("community.meeting.create", "community_meeting", meeting.id, after=_state(meeting))
    return meeting


def update_meeting(actor: Any, meeting: Meeting, data: MeetingData) -> None:
    """Change a meeting's time or place (the calendar file's SEQUENCE goes up, calendars update)."""
    if not access.is_organiser(actor):
        raise denied()
    before = _state(meeting)
    for key, value in _checked(data).items():
        setattr(meeting, key, value)
    if _state(meeting) != before:
        meeting.sequence += 1
        meeting.reminder_sent_at = None if meeting.starts_at > utcnow() else meeting.reminder_sent_at
        db.session.flush()
        audit.record("community.meeting.update", "community_meeting", meeting.id, before=before,
                     after=_state(meeting))


def cancel_meeting(actor: Any, meeting: Meeting) -> None:
    """Cancel a meeting that has not ended (SEQUENCE rises: calendars mark the event cancelled)."""
    if not access.is_organiser(actor):
        raise denied()
    if meeting.status == "cancelled":
        return  # a repeated click
    if meeting.ends_at <= utcnow():
        raise ServiceError(_("A meeting that is over cannot be cancelled."))
    meeting.status = "cancelled"
    meeting.sequence += 1
    db.session.flush()
    audit.record("community.meeting.cancel", "community_meeting", meeting.id, after={"status": "cancelled"})
    url = notify.page_url("community.meeting", meeting_id=meeting.id)
    people = [(r.attendee_tenant, r.attendee_user_id) for r in db.session.scalars(select(Registration).where(
        Registration.meeting_id == meeting.id, Registration.attendance != "declined"))]
    kernel_notify("community.meeting_cancelled", url=url, actor=(actor.tenant_id, actor.id), people=people,
                  title=meeting.title)


def announce(meeting: Meeting) -> None:
    """Tell every member municipality's administrators about the meeting (after the commit is fine too)."""
    url = notify.page_url("community.meeting", meeting_id=meeting.id)
    for member in meeting.body.members:
        kernel_notify("community.meeting_scheduled", url=url, tenant_id=member.member_tenant,
                      body=meeting.body.name, title=meeting.title)


def add_item(actor: Any, meeting: Meeting, title: str, description: str, visibility: str) -> AgendaItem:
    """Add an agenda item, public to every municipality or closed to the body's members."""
    if not access.is_organiser(actor):
        raise denied()
    if visibility not in VISIBILITIES:
        raise ServiceError(_("Choose who may see the item."), "visibility")
    item = AgendaItem(meeting_id=meeting.id, title=clean(title, 200, "title"),
                      description=clean(description, 8000, "description", required=False), visibility=visibility,
                      position=(max((i.position for i in meeting.items), default=0) + 1))
    meeting.items.append(item)
    db.session.flush()
    audit.record("community.item.add", "community_meeting", meeting.id,
                 after={"item": item.id, "title": item.title, "visibility": visibility})
    return item


def update_item(actor: Any, meeting: Meeting, item: AgendaItem, title: str, description: str,
                visibility: str) -> None:
    """Change an agenda item's wording or visibility."""
    if not access.is_organiser(actor) or item.meeting_id != meeting.id:
        raise denied()
    if visibility not in VISIBILITIES:
        raise ServiceError(_("Choose who may see the item."), "visibility")
    before = {"title": item.title, "visibility": item.visibility}
    item.title = clean(title, 200, "title")
    item.description = clean(description, 8000, "description", required=False)
    item.visibility = visibility
    db.session.flush()
    audit.record("community.item.update", "community_meeting", meeting.id, before=before,
                 after={"item": item.id, "title": item.title, "visibility": visibility})


def register(actor: Any, meeting: Meeting, attendance: str) -> Registration:
    """Register the user (in person / online) or decline; registering again changes the answer."""
    if not access.can_participate(actor):
        raise denied()
    if attendance not in ATTENDANCE:
        raise ServiceError(_("Choose how you will take part."), "attendance")
    if meeting.status == "cancelled":
        raise ServiceError(_("This meeting was cancelled."))
    if meeting.ends_at <= utcnow():
        raise ServiceError(_("This meeting is over; registration is closed."))
    row = db.session.scalar(select(Registration).where(
        Registration.meeting_id == meeting.id, Registration.attendee_tenant == actor.tenant_id,
        Registration.attendee_user_id == actor.id).with_for_update())
    if row is None:
        row = Registration(meeting_id=meeting.id, attendee_tenant=actor.tenant_id, attendee_user_id=actor.id,
                           display_name=actor.display_name, attendance=attendance)
        db.session.add(row)
    elif row.attendance == attendance:
        return row  # a repeated submission: nothing changes, nothing is audited twice
    else:
        row.attendance, row.updated_at = attendance, utcnow()
    db.session.flush()
    audit.record("community.register", "community_meeting", meeting.id, after={"attendance": attendance})
    return row


# Materials ---------------------------------------------------------------------------------------

# Meeting materials: PDF, office files and images, recognised by their content (kernel/uploads).
ALLOWED_MATERIALS = {**PDF, **OFFICE, **IMAGES}


def add_material(actor: Any, meeting: Meeting, item: Optional[AgendaItem], title: str, filename: str,
                 data: bytes) -> Material:
    """Attach a file to the meeting or one of its items (PDF, office files, images; MAX_UPLOAD_MB)."""
    if not access.is_organiser(actor):
        raise denied()
    if item is not None and item.meeting_id != meeting.id:
        raise denied()
    title = clean(title, 200, "title")
    upload = take_upload(filename, data, ALLOWED_MATERIALS, _("Choose a PDF, an office file or an image."))
    stem = upload.filename.rsplit(".", 1)[0] or "material"
    material = Material(meeting_id=meeting.id, agenda_item_id=item.id if item else None, title=title,
                        filename=f"{stem}.{upload.extension}"[:255], content_type=upload.content_type,
                        size=upload.size, data=upload.data)
    db.session.add(material)
    db.session.flush()
    audit.record("community.material.add", "community_meeting", meeting.id,
                 after={"material": material.id, "filename": material.filename, "size": material.size})
    return material


def delete_material(actor: Any, material: Material) -> None:
    """Remove a file of a meeting."""
    if not access.is_organiser(actor):
        raise denied()
    db.session.delete(material)
    db.session.flush()
    audit.record("community.material.delete", "community_meeting", material.meeting_id,
                 before={"material": material.id, "filename": material.filename})


# Reminders ---------------------------------------------------------------------------------------

def send_meeting_reminders(now: Optional[datetime] = None, ahead: timedelta = timedelta(days=1)) -> int:
    """Remind the registered attendees of meetings starting within ``ahead`` (once per meeting).

    Run by ``flask notifications remind`` (cron); a second run sends nothing again.
    """
    now = now or utcnow()
    meetings = list(db.session.scalars(select(Meeting).where(
        Meeting.status == "scheduled", Meeting.reminder_sent_at.is_(None), Meeting.starts_at > now,
        Meeting.starts_at <= now + ahead).with_for_update(of=Meeting, skip_locked=True)))
    for meeting in meetings:
        rows = db.session.scalars(select(Registration).where(Registration.meeting_id == meeting.id,
                                                             Registration.attendance != "declined"))
        from kernel.i18n import format_datetime_tokyo

        people = [(row.attendee_tenant, row.attendee_user_id) for row in rows]
        told = kernel_notify("community.meeting_reminder", url=notify.page_url("community.meeting",
                                                                               meeting_id=meeting.id),
                             people=people, title=meeting.title, when=format_datetime_tokyo(meeting.starts_at))
        meeting.reminder_sent_at = now
        audit.record("community.meeting.reminded", "community_meeting", meeting.id, after={"recipients": told})
    db.session.flush()
    return len(meetings)
