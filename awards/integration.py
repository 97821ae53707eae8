"""The casebook's side of the awards (casebook/integration.py), imported lazily.

While the casebook module is absent the awards pages hide "start from a case" and "send to the
casebook"; nothing else depends on it.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Optional


def _module() -> Optional[ModuleType]:
    try:
        module = importlib.import_module("casebook.integration")
    except ImportError:
        return None
    if not (hasattr(module, "case_prefill") and hasattr(module, "create_case_from_award")):
        return None
    return module


def casebook_available() -> bool:
    return _module() is not None


def case_prefill(case_id: int) -> Optional[dict[str, str]]:
    """The fields of one of the bound tenant's cases, or None (unknown case or no casebook)."""
    module = _module()
    if module is None:
        return None
    result = module.case_prefill(case_id)
    return dict(result) if result else None


def create_case_from_award(tenant_id: str, fields: dict[str, str], source_label: str, actor_user_id: int) -> int:
    module = _module()
    if module is None:
        raise RuntimeError("the casebook is not available")
    return int(module.create_case_from_award(tenant_id, fields, source_label, actor_user_id))
