"""The casebook's contract with other domains (awards): read a case's fields, send a winner in.

    case_prefill(case_id) -> dict[str, str] | None
    create_case_from_award(tenant_id, fields, source_label, actor_user_id) -> int
    create_case_from_support(fields, kpis, actor_user_id) -> int

Field keys: "title", "summary", "problem", "approach", "outcomes", "themes", "tools" (strings;
lists joined with "、").
"""
from __future__ import annotations

import re
from typing import Optional

from flask_babel import gettext as _

from casebook.models import SUPPORT_ORIGIN, Case
from casebook.services import create_case, queue_submission
from casebook.validation import ContentError, check_content, empty_content
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from tenants.context import as_tenant, current_tenant_id
from tenants.models import Tenant, is_tenant_code

PREFILL_KEYS = ("title", "summary", "problem", "approach", "outcomes", "themes", "tools")
LIST_KEYS = ("themes", "tools")
SEPARATOR = "、"


def case_prefill(case_id: int) -> Optional[dict[str, str]]:
    """The fields of a case of the currently bound tenant (RLS), or None when it is not visible."""
    tenant = current_tenant_id()
    if tenant is None or not isinstance(case_id, int) or isinstance(case_id, bool):
        return None
    case = db.session.get(Case, (tenant, case_id))
    if case is None:
        return None
    return {
        "title": case.title, "summary": case.summary, "problem": case.problem, "approach": case.approach,
        "outcomes": case.outcomes, "themes": SEPARATOR.join(case.themes or []),
        "tools": SEPARATOR.join(case.tools or []),
    }


def _split(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[、,，\n]+", text or "") if t.strip()]


def create_case_from_award(tenant_id: str, fields: dict[str, str], source_label: str, actor_user_id: int) -> int:
    """A TMG curator sends a winning award entry into the curators' queue; returns the new case id.

    The case is created in the entrant's tenant (bound for the write, then the caller's binding is
    restored) with a first version, already signed off (the municipality approved the entry), and a
    submission waits in the curators' queue. Raises ServiceError on invalid fields.
    """
    if not is_tenant_code(tenant_id) or db.session.get(Tenant, tenant_id) is None:
        raise ServiceError(_("The municipality code is not valid."))
    content = empty_content()
    for key in PREFILL_KEYS:
        value = fields.get(key, "") if isinstance(fields, dict) else ""
        if not isinstance(value, str):
            raise ServiceError(_("%(key)s must be a string.", key=key))
        content[key] = _split(value) if key in LIST_KEYS else value
    label = (source_label or "").strip()[:200]
    try:
        content = check_content(content)
    except ContentError as error:
        raise ServiceError(error.message) from error
    with as_tenant(tenant_id, actor_user_id):
        case = create_case(tenant_id, actor_user_id, content, origin=label, note=f"表彰から: {label}"[:200])
        case.release_state = "approved"
        submission = queue_submission(case, approved_by=None, origin=label)
        audit.record("case.from_award", "case", case.id, after={"source": label, "submission": submission.id},
                     tenant_id=tenant_id, user_id=actor_user_id)
        db.session.flush()
        return case.id


SUPPORT_KEYS = ("title", "summary", "problem", "approach", "outcomes", "themes", "tools", "lessons", "cost_jpy")


def create_case_from_support(fields: dict[str, str], kpis: list[dict[str, object]], actor_user_id: int) -> int:
    """A support engagement hands over a draft case to the bound municipality's own cases; returns its id.

    The case is an ordinary draft of the municipality (under its RLS binding, nothing rebinds): it then
    follows the usual proposal → admin approval → curation → casebook path. Raises ServiceError on
    invalid fields.
    """
    tenant = current_tenant_id()
    if tenant is None:
        raise ServiceError(_("The municipality code is not valid."))
    content = empty_content()
    for key in SUPPORT_KEYS:
        value = fields.get(key, "") if isinstance(fields, dict) else ""
        if not isinstance(value, str):
            raise ServiceError(_("%(key)s must be a string.", key=key))
        if key == "cost_jpy":
            digits = value.replace(",", "").strip()
            if digits and not digits.isdigit():
                raise ServiceError(_("Enter the cost as a whole number of yen."))
            content[key] = int(digits) if digits else None
        else:
            content[key] = _split(value) if key in LIST_KEYS else value
    content["kpis"] = kpis
    try:
        content = check_content(content)
    except ContentError as error:
        raise ServiceError(error.message) from error
    case = create_case(tenant, actor_user_id, content, origin=SUPPORT_ORIGIN, note="伴走支援から")
    audit.record("case.from_support", "case", case.id, after={"origin": SUPPORT_ORIGIN})
    return case.id
