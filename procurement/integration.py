"""Joint procurement's contract with other domains (the community's follow-up actions link projects).

    project_title(project_id) -> str | None

The title of a project everyone may see (it has left the draft state), else None.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from kernel.extensions import db
from procurement.models import Project


def project_title(project_id: int) -> Optional[str]:
    """The title of a non-draft project, or None when it does not exist or is still a draft."""
    if not isinstance(project_id, int) or isinstance(project_id, bool) or project_id <= 0:
        return None
    return db.session.scalar(select(Project.title).where(Project.id == project_id, Project.status != "draft"))
