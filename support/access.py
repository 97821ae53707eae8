"""Who may do what with support engagements — checked by the views and the services on every call.

The roles' permissions are defined once in tenants/roles.py (SUPPORT_REQUEST for municipal staff,
SUPPORT_DESK for TMG's support desk). This module adds the object-level rules:
- a municipality's member drafts and edits its own requests; its tenant admin releases them;
- TMG's supporters see an engagement only once released (the support_desk RLS policy says the same
  in PostgreSQL), triage and staff it; only supporters assigned to it write in its workspace;
- the municipality's people work in the workspace of their own engagements (meetings, actions,
  files, outcomes) and answer the closing survey; nobody else ever sees the engagement.
"""
from __future__ import annotations

from typing import Any

from tenants.models import TMG_CODE
from tenants.roles import Permission


def is_desk(user: Any) -> bool:
    """A TMG support-desk member (supporter role in TMG)."""
    return bool(user.is_authenticated and user.tenant_id == TMG_CODE and user.can(Permission.SUPPORT_DESK))


def can_request(user: Any) -> bool:
    return bool(user.is_authenticated and user.tenant_id != TMG_CODE and user.can(Permission.SUPPORT_REQUEST))


def can_release(user: Any) -> bool:
    return bool(can_request(user) and user.can(Permission.TENANT_APPROVE_RELEASE))


def is_requester_side(user: Any, engagement: Any) -> bool:
    return bool(can_request(user) and user.tenant_id == engagement.tenant_id)


def can_see(user: Any, engagement: Any) -> bool:
    if is_requester_side(user, engagement):
        return True
    return is_desk(user) and engagement.release_state == "submitted"


def is_assigned(user: Any, assignments: list[Any]) -> bool:
    return is_desk(user) and any(a.supporter_user_id == user.id and a.ended_at is None for a in assignments)


def can_work(user: Any, engagement: Any, assignments: list[Any]) -> bool:
    """May write in the workspace: the municipality's people or a supporter assigned to it, while it runs."""
    if engagement.release_state != "submitted" or engagement.stage in ("done", "declined"):
        return False
    return is_requester_side(user, engagement) or is_assigned(user, assignments)
