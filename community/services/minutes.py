"""Minutes: drafted by the secretariat, reviewed by the attendees (amendments), then published."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from community import access, notify
from community.models import AgendaItem, Amendment, Meeting, Minutes, MinuteSection, Registration
from community.services.common import clean, denied, stale, utcnow
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify as kernel_notify

MAX_REVIEW_DAYS = 30


def minutes_of(meeting: Meeting, *, for_update: bool = False) -> Optional[Minutes]:
    stmt = select(Minutes).where(Minutes.meeting_id == meeting.id)
    return db.session.scalar(stmt.with_for_update() if for_update else stmt)


def save_draft(actor: Any, meeting: Meeting, summary: str, sections: dict[int, str], version: Optional[int]
               ) -> Minutes:
    """Write the minutes (a summary and one section per agenda item); a stale form is refused."""
    if not access.is_organiser(actor):
        raise denied()
    if meeting.starts_at > utcnow():
        raise ServiceError(_("Minutes can be written once the meeting has started."))
    minutes = minutes_of(meeting, for_update=True)
    if minutes is None:
        if version not in (None, 0):
            raise stale()
        minutes = Minutes(meeting_id=meeting.id, status="draft", version=0)
        db.session.add(minutes)
    elif version != minutes.version:
        raise stale()
    if minutes.status == "published":
        raise ServiceError(_("Published minutes cannot be changed."))
    minutes.summary = clean(summary, 20000, "summary", required=False)
    texts = {item.id: clean(sections.get(item.id, ""), 20000, f"section-{item.id}", required=False)
             for item in meeting.items}
    existing = {s.agenda_item_id: s for s in minutes.sections}
    for item_id, text in texts.items():
        if item_id in existing:
            existing[item_id].text = text
        else:
            minutes.sections.append(MinuteSection(meeting_id=meeting.id, agenda_item_id=item_id, text=text))
    minutes.version += 1
    minutes.updated_at = utcnow()
    db.session.flush()
    audit.record("community.minutes.save", "community_meeting", meeting.id,
                 after={"version": minutes.version, "status": minutes.status})
    return minutes


def attendees_of(meeting: Meeting) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(
        Registration.meeting_id == meeting.id, Registration.attendance != "declined")
        .order_by(Registration.attendee_tenant, Registration.display_name)))


def open_review(actor: Any, meeting: Meeting, days: int) -> Minutes:
    """Open the draft to the attendees for ``days`` days; each attendee is told."""
    if not access.is_organiser(actor):
        raise denied()
    if not isinstance(days, int) or not 1 <= days <= MAX_REVIEW_DAYS:
        raise ServiceError(_("Choose a review period of 1 to %(n)d days.", n=MAX_REVIEW_DAYS), "days")
    minutes = minutes_of(meeting, for_update=True)
    if minutes is None:
        raise ServiceError(_("Write the draft first."))
    if minutes.status == "review":
        return minutes  # repeated click
    if minutes.status != "draft":
        raise ServiceError(_("Published minutes cannot be changed."))
    minutes.status = "review"
    minutes.review_closes_at = utcnow() + timedelta(days=days)
    minutes.version += 1
    db.session.flush()
    audit.record("community.minutes.review", "community_meeting", meeting.id,
                 after={"review_closes_at": minutes.review_closes_at})
    kernel_notify("community.minutes_review", url=notify.page_url("community.minutes", meeting_id=meeting.id),
                  actor=(actor.tenant_id, actor.id), title=meeting.title, day=_day(minutes),
                  people=[(row.attendee_tenant, row.attendee_user_id) for row in attendees_of(meeting)])
    return minutes


def _day(minutes: Minutes) -> str:
    from kernel.i18n import format_datetime_tokyo

    return format_datetime_tokyo(minutes.review_closes_at)


def review_open(minutes: Optional[Minutes]) -> bool:
    return bool(minutes is not None and minutes.status == "review" and minutes.review_closes_at is not None
                and minutes.review_closes_at > utcnow())


def is_attendee(actor: Any, meeting: Meeting) -> bool:
    return db.session.scalar(select(Registration.id).where(
        Registration.meeting_id == meeting.id, Registration.attendee_tenant == actor.tenant_id,
        Registration.attendee_user_id == actor.id, Registration.attendance != "declined")) is not None


def propose_amendment(actor: Any, meeting: Meeting, item: AgendaItem, proposed_text: str, reason: str
                      ) -> Amendment:
    """An attendee proposes new wording for one section while the review is open."""
    minutes = minutes_of(meeting)
    if not access.can_participate(actor) or not is_attendee(actor, meeting):
        raise ServiceError(_("Only the meeting's attendees can propose amendments."))
    if item.meeting_id != meeting.id or not access.can_read_item(actor, meeting.body, item):
        raise denied()
    if not review_open(minutes):
        raise ServiceError(_("The minutes are not open for amendments."))
    text = clean(proposed_text, 20000, "proposed_text")
    duplicate = db.session.scalar(select(Amendment).where(
        Amendment.meeting_id == meeting.id, Amendment.agenda_item_id == item.id, Amendment.status == "open",
        Amendment.proposer_tenant == actor.tenant_id, Amendment.proposer_user_id == actor.id,
        Amendment.proposed_text == text))
    if duplicate is not None:
        return duplicate  # the same proposal submitted twice
    amendment = Amendment(meeting_id=meeting.id, agenda_item_id=item.id, proposer_tenant=actor.tenant_id,
                          proposer_user_id=actor.id, proposer_name=actor.display_name, proposed_text=text,
                          reason=clean(reason, 2000, "reason", required=False))
    db.session.add(amendment)
    db.session.flush()
    audit.record("community.amendment.propose", "community_meeting", meeting.id,
                 after={"amendment": amendment.id, "item": item.id})
    return amendment


def decide_amendment(actor: Any, meeting: Meeting, amendment: Amendment, accept: bool, note: str) -> None:
    """The secretariat accepts (the section takes the proposed wording) or rejects a proposal."""
    if not access.is_organiser(actor) or amendment.meeting_id != meeting.id:
        raise denied()
    minutes = minutes_of(meeting, for_update=True)
    if minutes is None or minutes.status == "published":
        raise ServiceError(_("Published minutes cannot be changed."))
    if amendment.status != "open":
        raise ServiceError(_("This proposal has already been decided."))
    amendment.status = "accepted" if accept else "rejected"
    amendment.decision_note = clean(note, 2000, "note", required=False)
    amendment.decided_at = utcnow()
    if accept:
        section = next((s for s in minutes.sections if s.agenda_item_id == amendment.agenda_item_id), None)
        if section is None:
            minutes.sections.append(MinuteSection(meeting_id=meeting.id, agenda_item_id=amendment.agenda_item_id,
                                                  text=amendment.proposed_text))
        else:
            section.text = amendment.proposed_text
        minutes.version += 1
    db.session.flush()
    audit.record("community.amendment.decide", "community_meeting", meeting.id,
                 after={"amendment": amendment.id, "status": amendment.status})
    kernel_notify("community.amendment_accepted" if accept else "community.amendment_rejected",
                  url=notify.page_url("community.minutes", meeting_id=meeting.id), actor=(actor.tenant_id, actor.id),
                  proposer=(amendment.proposer_tenant, amendment.proposer_user_id), title=meeting.title)


def open_amendments(meeting: Meeting) -> list[Amendment]:
    return list(db.session.scalars(select(Amendment).where(Amendment.meeting_id == meeting.id,
                                                           Amendment.status == "open")))


def publish(actor: Any, meeting: Meeting, close_review_early: bool = False) -> Minutes:
    """Publish the minutes with the attendees and their organisations (frozen from the registrations).

    The review period must be over (or ended early on purpose, which is audited) and every proposal
    decided.
    """
    if not access.is_organiser(actor):
        raise denied()
    minutes = minutes_of(meeting, for_update=True)
    if minutes is None:
        raise ServiceError(_("Write the draft first."))
    if minutes.status == "published":
        return minutes
    if minutes.status != "review":
        raise ServiceError(_("Open the draft to the attendees for review before publishing."))
    if review_open(minutes) and not close_review_early:
        raise ServiceError(_("The review period has not ended yet."))
    if open_amendments(meeting):
        raise ServiceError(_("Decide every proposed amendment before publishing."))
    now = utcnow()
    if review_open(minutes):
        audit.record("community.minutes.review_ended_early", "community_meeting", meeting.id,
                     before={"review_closes_at": minutes.review_closes_at}, after={"review_closes_at": now})
        minutes.review_closes_at = now
    minutes.attendees = [{"tenant": r.attendee_tenant, "name": r.display_name, "attendance": r.attendance}
                         for r in attendees_of(meeting)]
    minutes.status, minutes.published_at = "published", now
    minutes.version += 1
    db.session.flush()
    audit.record("community.minutes.publish", "community_meeting", meeting.id,
                 after={"attendees": len(minutes.attendees)})
    return minutes
