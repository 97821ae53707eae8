"""Who may do what in joint procurement — checked by the services on every call.

- Organise (create projects, move their status, record quotes, award, read every declaration,
  budget ceiling and cost share): TMG curators for TMG's projects, a lead municipality's tenant
  admins for that municipality's. The organiser is a person holding that role in the project's
  organiser tenant — not the whole tenant: a TMG judge or operator, or a member of the lead
  municipality, sees only the pooled totals (and, as a participant, its own row). RLS
  (``organiser_read``, migration 20261206) enforces the same person-level rule in PostgreSQL.
- Declare demand: members and tenant admins of a municipality (not TMG). Committing needs the
  tenant admin's approval: an admin's own commitment is approved at once, a member's waits.
- See a project: everyone logged in, once it left the draft state; a draft only its organiser.
"""
from __future__ import annotations

from typing import Any

from tenants.models import TMG_CODE
from tenants.roles import Permission


def can_organise(user: Any) -> bool:
    """May this user open projects (for their own tenant)?"""
    if not user.is_authenticated:
        return False
    if user.tenant_id == TMG_CODE:
        return bool(user.can(Permission.PROCUREMENT_ORGANISE))
    return bool(user.can(Permission.TENANT_APPROVE_RELEASE))  # a lead municipality's admins


def is_organiser(user: Any, project: Any) -> bool:
    """Is this person one of the project's organisers (may see every participant's row)?"""
    return can_organise(user) and user.tenant_id == project.organiser_tenant_id


def can_declare(user: Any) -> bool:
    return bool(user.is_authenticated and user.tenant_id != TMG_CODE and user.can(Permission.DEMAND_DECLARE))


def can_approve(user: Any) -> bool:
    return bool(user.is_authenticated and user.tenant_id != TMG_CODE
                and user.can(Permission.TENANT_APPROVE_RELEASE))


def can_see(user: Any, project: Any) -> bool:
    return project.status != "draft" or is_organiser(user, project)
