"""Loading and refusal helpers shared by the community views: every object is checked before use."""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["act", "aware", "load_action", "load_body", "load_meeting", "local",
           "require_forum"]

from flask import abort
from flask_login import current_user

from community import access, queries
from community.models import Action, Body, Meeting
from kernel.i18n import TOKYO
from kernel.views import act
from tenants.auth import not_found_or_denied


def require_forum() -> None:
    if not access.can_view_forum(current_user):
        abort(403)


def load_body(body_id: int) -> Body:
    body = queries.get_body(body_id)
    if body is None:
        abort(404)
    return body


def load_meeting(meeting_id: int) -> Meeting:
    meeting = queries.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def load_action(action_id: int) -> Action:
    action = queries.get_action(action_id)
    if action is None:
        abort(404)
    body = queries.get_body(action.body_id)
    if body is None or not access.can_see_action(current_user, action, body):
        not_found_or_denied("community_action", action_id)
    return action


def local(value: Any) -> Optional[Any]:
    """An aware datetime as the naive Tokyo time a datetime-local input shows."""
    return value.astimezone(TOKYO).replace(tzinfo=None) if value is not None else None


def aware(value: Any) -> Any:
    """A naive Tokyo time from a datetime-local input as an aware datetime."""
    return value.replace(tzinfo=TOKYO) if value is not None else None

