"""Redirect targets must stay on our own origin (no open redirect); link patterns for pages written in Python."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from markupsafe import escape

from kernel.memo import kept

# Ids no page shows, standing in a link's pattern for the page's own (a pattern with two ids takes both).
STAND_IN, SECOND_STAND_IN = "918273645", "546372819"


def safe_next(target: Optional[str], default_endpoint: str = "portal.home") -> str:
    """Return ``target`` when it is a local path on this site, else the default page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and all(ord(c) >= 32 for c in target):
            return target
    return url_for(default_endpoint)


def link_pattern(endpoint: str, **values: Any) -> str:
    """``url_for`` with stand-in ids, escaped for an attribute: ``.replace(STAND_IN, str(id))`` gives a page's link.
    A page that lists many links builds its patterns once (``kept_link_patterns``) instead of a url_for each."""
    return str(escape(url_for(endpoint, **values)))


def kept_link_patterns(name: str, build: Callable[[], dict[str, str]]) -> dict[str, str]:
    """``build()``'s patterns, built once per app (kept in its extensions under ``name``) and script root."""
    store: dict[Hashable, dict[str, str]] = current_app.extensions.setdefault(name, {})
    return kept(store, request.script_root, build, 16)
