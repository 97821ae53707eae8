"""The casebook's side of the hand-over (casebook/integration.py), imported lazily.

Domains never import each other (the import contracts of pyproject.toml): the one published
function is looked up at run time. Without the casebook the hand-over is refused with a message.
"""
from __future__ import annotations

import importlib
from typing import Any

from kernel.errors import ServiceError
from kernel.i18n import service_gettext as _


def create_case_from_support(fields: dict[str, str], kpis: list[dict[str, Any]], actor_user_id: int) -> int:
    """A draft case in the bound municipality's own cases, pre-filled from the engagement; returns its id."""
    try:
        module = importlib.import_module("casebook.integration")
    except ImportError:
        module = None
    if module is None or not hasattr(module, "create_case_from_support"):
        raise ServiceError(_("The casebook is not available, so no case can be created."))
    return int(module.create_case_from_support(fields, kpis, actor_user_id))
