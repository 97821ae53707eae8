"""Who may see and do what in the community domain — the one place these rules live.

- TMG's secretariat (Permission.COMMUNITY_ORGANISE, curators) runs bodies, meetings, minutes and
  actions, and sees everything of the forum. It never sees a municipality's roster or skills.
- Any municipal user (COMMUNITY_PARTICIPATE) sees every body's meetings with their public items and
  the *titles* of closed items; registers; proposes amendments to minutes of meetings they attended.
- Users of a member municipality of a body also see its closed items' content, materials and
  minutes sections, and its follow-up actions.
- A municipality's admin (COMMUNITY_MANAGE) answers for the actions its municipality owns, keeps its
  DX推進員 roster and training plans. The named owner of an action may update it too.
Visibility is decided on the object (body membership), never by a missing filter.
"""
from __future__ import annotations

from typing import Any

from community.models import Action, AgendaItem, Body, Meeting
from tenants.roles import Permission


def is_organiser(user: Any) -> bool:
    return bool(user.is_authenticated and user.can(Permission.COMMUNITY_ORGANISE))


def can_view_forum(user: Any) -> bool:
    return bool(user.is_authenticated and (user.can(Permission.COMMUNITY_PARTICIPATE) or is_organiser(user)))


def can_participate(user: Any) -> bool:
    return bool(user.is_authenticated and user.can(Permission.COMMUNITY_PARTICIPATE))


def can_manage_own(user: Any) -> bool:
    return bool(user.is_authenticated and user.can(Permission.COMMUNITY_MANAGE))


def is_member(user: Any, body: Body) -> bool:
    """The user's municipality has a seat in the body (or the user is the secretariat)."""
    return is_organiser(user) or (user.is_authenticated and user.tenant_id in body.member_codes())


def can_read_item(user: Any, body: Body, item: AgendaItem) -> bool:
    """Content of an agenda item (its description, minutes section, materials): closed → members only."""
    return not item.is_closed or is_member(user, body)


def can_see_actions(user: Any, body: Body) -> bool:
    return is_member(user, body)


def can_see_action(user: Any, action: Action, body: Body) -> bool:
    return is_member(user, body) or (user.is_authenticated and user.tenant_id == action.owner_tenant)


def can_update_action(user: Any, action: Action) -> bool:
    """The secretariat, the owner municipality's admin, or the person named as owner."""
    if is_organiser(user):
        return True
    if not user.is_authenticated or user.tenant_id != action.owner_tenant:
        return False
    return can_manage_own(user) or (action.owner_user_id is not None and action.owner_user_id == user.id)


def meeting_is_past(meeting: Meeting, now: Any) -> bool:
    return bool(meeting.ends_at <= now)
