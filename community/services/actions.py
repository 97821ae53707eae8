"""Follow-up actions: created from a meeting, updated by their owner, linked, tracked across the series."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import select

from community import access, links, notify
from community.models import ACTION_STATUSES, LINK_KINDS, Action, ActionLink, ActionUpdate, Meeting, Registration
from community.models.actions import OPEN_STATUSES
from community.services.common import clean, denied, stale, utcnow
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify as kernel_notify
from tenants.models import Tenant, is_tenant_code


@dataclass
class ActionData:
    title: str
    description: str
    owner_tenant: str
    owner_registration_id: Optional[int]  # a person: one of the meeting's registered attendees
    due_on: Optional[date]
    agenda_item_id: Optional[int]


def create_action(actor: Any, meeting: Meeting, data: ActionData) -> Action:
    """Record an action agreed at the meeting; the owner (municipality admins or the person) is told."""
    if not access.is_organiser(actor):
        raise denied()
    title = clean(data.title, 200, "title")
    if not is_tenant_code(data.owner_tenant) or db.session.get(Tenant, data.owner_tenant) is None:
        raise ServiceError(_("Choose the municipality that owns the action."), "owner_tenant")
    if data.due_on is None:
        raise ServiceError(_("Enter the due date."), "due_on")
    owner_user_id, owner_name = None, ""
    if data.owner_registration_id:
        row = db.session.get(Registration, data.owner_registration_id)
        if row is None or row.meeting_id != meeting.id or row.attendee_tenant != data.owner_tenant:
            raise ServiceError(_("The person must be an attendee from the owner municipality."), "owner_person")
        owner_user_id, owner_name = row.attendee_user_id, row.display_name
    if data.agenda_item_id is not None and data.agenda_item_id not in {i.id for i in meeting.items}:
        raise ServiceError(_("Choose an item of this meeting."), "agenda_item_id")
    action = Action(body_id=meeting.body_id, meeting_id=meeting.id, agenda_item_id=data.agenda_item_id, title=title,
                    description=clean(data.description, 8000, "description", required=False),
                    owner_tenant=data.owner_tenant, owner_user_id=owner_user_id, owner_name=owner_name,
                    due_on=data.due_on)
    db.session.add(action)
    db.session.flush()
    action.updates.append(ActionUpdate(action_id=action.id, status="open", progress=0, note="",
                                       author_tenant=actor.tenant_id, author_name=actor.display_name))
    db.session.flush()
    audit.record("community.action.create", "community_action", action.id,
                 after={"meeting": meeting.id, "owner": data.owner_tenant, "person": owner_user_id,
                        "due_on": data.due_on})
    owner = (action.owner_tenant, action.owner_user_id) if action.owner_user_id is not None else None
    kernel_notify("community.action_assigned", url=notify.page_url("community.action", action_id=action.id),
                  actor=(actor.tenant_id, actor.id), tenant_id=action.owner_tenant, owner=owner,
                  title=meeting.title, action=title)
    return action


def update_action(actor: Any, action: Action, status: str, progress: Optional[int], note: str,
                  version: Optional[int]) -> None:
    """Report progress or close an action; a form older than the action is refused."""
    if not access.can_update_action(actor, action):
        raise denied()
    if version != action.version:
        raise stale()
    if status not in ACTION_STATUSES:
        raise ServiceError(_("Choose a status."), "status")
    if progress is None or not 0 <= progress <= 100:
        raise ServiceError(_("Enter the progress as a percentage from 0 to 100."), "progress")
    note = clean(note, 4000, "note", required=False)
    if status == "done":
        progress = 100
    if status == "dropped" and not note:
        raise ServiceError(_("Say why the action is dropped."), "note")
    before = {"status": action.status, "progress": action.progress}
    action.status, action.progress = status, progress
    action.closed_at = utcnow() if status not in OPEN_STATUSES else None
    action.version += 1
    action.updated_at = utcnow()
    action.updates.append(ActionUpdate(action_id=action.id, status=status, progress=progress, note=note,
                                       author_tenant=actor.tenant_id, author_name=actor.display_name))
    db.session.flush()
    audit.record("community.action.update", "community_action", action.id, before=before,
                 after={"status": status, "progress": progress})


def add_link(actor: Any, action: Action, kind: str, target_id: Optional[int]) -> ActionLink:
    """Link a case, support engagement or procurement project the action concerns (checked to exist)."""
    if not access.can_update_action(actor, action):
        raise denied()
    if kind not in LINK_KINDS or kind not in links.available_kinds():
        raise ServiceError(_("Choose what to link."), "kind")
    if target_id is None:
        raise ServiceError(_("Enter the number."), "target_id")
    existing = next((link for link in action.links if link.kind == kind and link.target_id == target_id), None)
    if existing is not None:
        return existing
    label = links.resolve(kind, target_id)
    if label is None:
        raise ServiceError(_("No such item that you may link (a case must be one of your municipality's)."),
                           "target_id")
    link = ActionLink(action_id=action.id, kind=kind, target_id=target_id, label=label[:300],
                      target_tenant=actor.tenant_id if kind == "case" else None)
    action.links.append(link)
    db.session.flush()
    audit.record("community.action.link", "community_action", action.id, after={"kind": kind, "target": target_id})
    return link


def move_person_actions(tenant_id: str, from_user_id: int, to_user_id: Optional[int], to_name: str,
                        actor: Any) -> int:
    """Hand a person's open actions to their successor (the April rotation); returns how many moved."""
    actions = list(db.session.scalars(select(Action).where(
        Action.owner_tenant == tenant_id, Action.owner_user_id == from_user_id,
        Action.status.in_(OPEN_STATUSES)).with_for_update()))
    for action in actions:
        action.owner_user_id, action.owner_name = to_user_id, to_name
        action.version += 1
        action.updates.append(ActionUpdate(action_id=action.id, status=action.status, progress=action.progress,
                                           note=_("Handed over to %(name)s", name=to_name or "—"),
                                           author_tenant=actor.tenant_id, author_name=actor.display_name))
        audit.record("community.action.handover", "community_action", action.id,
                     before={"person": from_user_id}, after={"person": to_user_id})
    db.session.flush()
    return len(actions)
