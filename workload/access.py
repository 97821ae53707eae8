"""Who may do what in workload surveys — checked by the views and again by the services.

- Enter hours (any department of the municipality's open round) and read its results and the peer
  benchmark: members and tenant admins of a municipality. Never TMG, never another municipality
  (RLS enforces the tenant boundary in PostgreSQL as well).
- Manage (open and close rounds, departments, reminders, own tasks and classes, consent to share):
  the municipality's tenant admins.
- The standard task list, and the figures municipalities chose to share with TMG: TMG curators.
  TMG never reads a municipality's rounds directly; only the audited SECURITY DEFINER function of
  the migration hands it the shared figures.
"""
from __future__ import annotations

from typing import Any

from tenants.models import TMG_CODE
from tenants.roles import Permission


def _municipal(user: Any) -> bool:
    return bool(user.is_authenticated and user.tenant_id != TMG_CODE)


def can_enter(user: Any) -> bool:
    return _municipal(user) and bool(user.can(Permission.WORKLOAD_ENTER))


def can_manage(user: Any) -> bool:
    return _municipal(user) and bool(user.can(Permission.WORKLOAD_MANAGE))


def can_maintain_standard(user: Any) -> bool:
    return bool(user.is_authenticated and user.tenant_id == TMG_CODE and user.can(Permission.WORKLOAD_STANDARD))
