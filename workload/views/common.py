"""What the workload pages share: loading a round of the user's own municipality, refusals, versions."""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash
from flask_login import current_user

from kernel.errors import ServiceError
from kernel.numbers import parse_whole
from tenants.auth import not_found_or_denied
from workload import access, queries
from workload.models import Department, Round
from workload.services import Conflict


def load_round(round_id: int) -> Round:
    """A round of the user's own municipality (members and admins); anything else is 404."""
    if not access.can_enter(current_user):
        abort(403)
    round_ = queries.get_round(current_user.tenant_id, round_id)
    if round_ is None:
        not_found_or_denied("workload_round", round_id)
    assert round_ is not None
    return round_


def load_department(round_id: int, department_id: int) -> tuple[Round, Department]:
    round_ = load_round(round_id)
    department = queries.get_department(round_, department_id)
    if department is None:
        not_found_or_denied("workload_department", department_id)
    assert department is not None
    return round_, department


def require_manage() -> None:
    if not access.can_manage(current_user):
        abort(403)


def version_of(value: Any) -> Optional[int]:
    return parse_whole(value) if isinstance(value, str) else None


def refused(error: ServiceError, form: Any = None) -> int:
    """Show a service's refusal on the form (or as a message); the status to answer with."""
    if form is not None and error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "error")
    return 409 if isinstance(error, Conflict) else 400
