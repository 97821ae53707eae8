"""How the audit log names a case: its title, linked to the case page for people who may read own cases."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from casebook.models import Case
from kernel.audit import register_object_resolver
from kernel.extensions import db
from tenants.roles import Permission


def _cases(viewer: Any, ids: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    numbers = [int(i) for i in ids if i.isdigit() and len(i) < 19]
    if not numbers:
        return {}
    # The viewer's own municipality only (RLS says the same): another tenant's case stays unnamed.
    rows = db.session.execute(select(Case.id, Case.title).where(Case.tenant_id == viewer.tenant_id,
                                                                Case.id.in_(numbers)))
    link = viewer.can(Permission.CASES_READ_OWN)
    return {str(row.id): (row.title, f"/cases/{row.id}" if link else None) for row in rows}


register_object_resolver("case", _cases)
