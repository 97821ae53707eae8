"""What a follow-up action may link to, validated through the other domains' published functions.

A domain never reads another's tables: a case is checked with ``casebook.integration.case_prefill``
(under the acting user's own tenant, so a municipality links only its own cases), a procurement
project with ``procurement.integration.project_title``, a support engagement with
``support.integration.engagement_title`` once that domain publishes it. A missing domain simply
makes its kind unavailable.
"""
from __future__ import annotations

import importlib
from typing import Any, Optional

from flask import url_for
from werkzeug.routing import BuildError


def _call(module_name: str, function: str, *args: Any) -> Optional[Any]:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    target = getattr(module, function, None)
    return target(*args) if callable(target) else None


def available_kinds() -> list[str]:
    kinds = []
    for kind, (module_name, function) in _SOURCES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if callable(getattr(module, function, None)):
            kinds.append(kind)
    return kinds


_SOURCES = {
    "case": ("casebook.integration", "case_prefill"),
    "procurement": ("procurement.integration", "project_title"),
    "engagement": ("support.integration", "engagement_title"),
}


def resolve(kind: str, target_id: int) -> Optional[str]:
    """The label of the linked object as the current user may see it, or None when it is not there."""
    if kind not in _SOURCES or not isinstance(target_id, int) or isinstance(target_id, bool) or target_id <= 0:
        return None
    module_name, function = _SOURCES[kind]
    result = _call(module_name, function, target_id)
    if kind == "case":
        return str(result["title"]) if isinstance(result, dict) and result.get("title") else None
    return str(result) if result else None


_ENDPOINTS = {
    "case": ("casebook.cases_detail", "case_id"),
    "procurement": ("procurement.project_detail", "project_id"),
    "engagement": ("support.engagement", "engagement_id"),
}


def link_url(kind: str, target_id: int) -> Optional[str]:
    """The page of the linked object (only its own municipality can open a case)."""
    endpoint, arg = _ENDPOINTS.get(kind, ("", ""))
    values: dict[str, Any] = {arg: target_id}
    try:
        return url_for(endpoint, **values) if endpoint else None
    except BuildError:
        return None
