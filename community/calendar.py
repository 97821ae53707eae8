"""The .ics calendar file of a meeting (RFC 5545), written with the icalendar library.

The UID is stable per meeting and SEQUENCE rises with every change of time or place, so a calendar
that imported the file once replaces the event instead of adding a second one. Closed items appear
by title only for non-members, exactly as on the page.
"""
from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from community.models import Meeting

PRODID = "-//Yokoten//Community forum//JA"


def meeting_ics(meeting: Meeting, agenda_lines: list[str], url: str, host: str, now: datetime) -> bytes:
    """One VEVENT for the meeting; ``agenda_lines`` are what this reader may see of the agenda."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"community-meeting-{meeting.id}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("sequence", meeting.sequence)
    event.add("summary", f"{meeting.body.name} {meeting.title}")
    location = " / ".join(x for x in (meeting.location, meeting.online_url) if x)
    if location:
        event.add("location", location)
    event.add("description", "\n".join([*agenda_lines, "", url]).strip())
    event.add("url", url)
    event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    cal.add_component(event)
    return bytes(cal.to_ical())
