"""Main navigation and role labels, available to every template."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tenants.roles import Permission


@dataclass(frozen=True)
class NavEntry:
    order: int
    label: Any  # lazy string
    endpoint: str
    visible: Callable[[Any], bool]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


_entries: list[NavEntry] = [
    NavEntry(10, _l("Home"), "portal.home", lambda u: True),
    NavEntry(20, _l("Cases"), "casebook.cases_index", lambda u: u.can(Permission.CASES_READ_OWN)),
    NavEntry(30, _l("Casebook"), "casebook.casebook_index", lambda u: u.can(Permission.CASEBOOK_READ)),
    NavEntry(40, _l("Joint procurement"), "procurement.index", lambda u: True),
    NavEntry(50, _l("Awards"), "awards.index", lambda u: True),
    NavEntry(55, _l("Workload surveys"), "workload.index",
             lambda u: u.can(Permission.WORKLOAD_ENTER) or u.can(Permission.WORKLOAD_STANDARD)),
    NavEntry(60, _l("Administration"), "tenants.admin_index",
             lambda u: u.can(Permission.TENANT_MANAGE_USERS) or u.can(Permission.TENANT_VIEW_AUDIT)),
]

ROLE_LABELS = {
    "member": _l("Member"),
    "tenant_admin": _l("Administrator"),
    "curator": _l("Curator"),
    "judge": _l("Judge"),
    "operator": _l("Operator"),
}


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    current_bp = (request.endpoint or "").split(".")[0]
    for entry in sorted(_entries, key=lambda e: e.order):
        if not entry.visible(current_user):
            continue
        entry_bp = entry.endpoint.split(".")[0]
        active = request.endpoint == entry.endpoint or (
            entry_bp == current_bp and entry.endpoint not in ("portal.home",)
            and _same_section(entry.endpoint, request.endpoint or ""))
        items.append(NavItem(str(entry.label), url_for(entry.endpoint), active))
    return items


def _same_section(entry_endpoint: str, endpoint: str) -> bool:
    # casebook hosts two sections: own cases (cases_*) and the shared casebook (casebook_*).
    if entry_endpoint.startswith("casebook."):
        prefix = entry_endpoint.split(".")[1].split("_")[0]
        return endpoint.split(".")[-1].startswith(prefix)
    return True


@dataclass(frozen=True)
class AdminLink:
    label: Any
    endpoint: str
    visible: Callable[[Any], bool]


_admin_links: list[AdminLink] = []


def register_admin_link(label: Any, endpoint: str, visible: Callable[[Any], bool]) -> None:
    """Let a domain add a page to the administration index (e.g. SSO settings)."""
    if all(link.endpoint != endpoint for link in _admin_links):
        _admin_links.append(AdminLink(label, endpoint, visible))


def admin_links() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [NavItem(str(link.label), url_for(link.endpoint), False)
            for link in _admin_links if link.visible(current_user)]


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["admin_links"] = admin_links
