"""Redirect targets must stay on our own origin (no open redirect)."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: Optional[str], default_endpoint: str = "portal.home") -> str:
    """Return ``target`` when it is a local path on this site, else the default page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and all(ord(c) >= 32 for c in target):
            return target
    return url_for(default_endpoint)
