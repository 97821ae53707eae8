"""How the audit log names a procurement project: its title, linked, for a viewer who may see the project
(``access.can_see``: a draft only by its organiser); other projects stay unnamed."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from kernel.audit import register_object_resolver
from kernel.extensions import db
from procurement import access
from procurement.models import Project


def _projects(viewer: Any, ids: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    numbers = [int(i) for i in ids if i.isdigit() and len(i) < 19]
    if not numbers:
        return {}
    # Columns only (no relationship loads); the row has what access.can_see reads (status, organiser).
    rows = db.session.execute(select(Project.id, Project.title, Project.status, Project.organiser_tenant_id)
                              .where(Project.id.in_(numbers)))
    return {str(row.id): (row.title, f"/procurement/{row.id}") for row in rows if access.can_see(viewer, row)}


register_object_resolver("procurement_project", _projects)
