"""Main navigation and the administration index: registries the packages above fill at import."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from flask import Flask, request, url_for
from flask_login import current_user

from kernel.memo import kept


@dataclass(frozen=True)
class NavEntry:
    order: int
    label: Any  # lazy string
    endpoint: str
    visible: Callable[[Any], bool]
    # Which pages mark the entry active besides its own endpoint: None none, "" every page of its
    # blueprint, "cases" the blueprint's endpoints whose names start with "cases" (one blueprint may
    # host several sections, as casebook hosts own cases and the shared casebook).
    section: Optional[str] = ""


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


_entries: list[NavEntry] = []


def register_nav_entry(order: int, label: Any, endpoint: str, visible: Callable[[Any], bool],
                       section: Optional[str] = "") -> None:
    """Let a package add an entry to the main navigation (sorted by ``order``; idempotent).

    ``visible(user)`` may depend on the user's tenant and roles only: the navigation is built once per
    tenant, roles, page, language and catalogue and kept for the life of the process (see nav_items).
    """
    if all(entry.endpoint != endpoint for entry in _entries):
        _entries.append(NavEntry(order, label, endpoint, visible, section))
        _built.clear()


# The navigation as built for (tenant, roles, page, script root, language, catalogue): what it depends on
# is fixed per deploy, so each worker builds each variant once instead of on every page (issue 25.5). A
# few hundred variants at most (62 tenants × a handful of role sets × the pages people visit); the bound
# only guards against surprises.
_built: dict[tuple[Any, ...], tuple[NavItem, ...]] = {}
_BUILT_MAX = 4096


def nav_key() -> tuple[Any, ...]:
    """What the navigation of this request depends on (see _built); the layout's stencil key holds the same
    (portal/layout.py)."""
    from flask_babel import get_domain, get_locale

    user = current_user._get_current_object()
    return (user.tenant_id, frozenset(user.roles), request.endpoint, request.script_root, str(get_locale()),
            id(get_domain()))


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    built: tuple[NavItem, ...] = kept(_built, nav_key(), lambda: tuple(_build_nav_items()), _BUILT_MAX)
    return list(built)


def _build_nav_items() -> list[NavItem]:
    items = []
    current_bp = (request.endpoint or "").split(".")[0]
    for entry in sorted(_entries, key=lambda e: e.order):
        if not entry.visible(current_user):
            continue
        entry_bp = entry.endpoint.split(".")[0]
        active = request.endpoint == entry.endpoint or (
            entry.section is not None and entry_bp == current_bp
            and (request.endpoint or "").split(".")[-1].startswith(entry.section))
        items.append(NavItem(str(entry.label), url_for(entry.endpoint), active))
    return items


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


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["nav_key"] = nav_key
    app.jinja_env.globals["admin_links"] = admin_links
