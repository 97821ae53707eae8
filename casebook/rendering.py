"""Markdown rendered safely, diffs between versions, and PII (e-mail, phone) detection."""
from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is not interpreted (html=False) and the output is cleaned again by nh3,
# so neither a <script> typed into a field nor a javascript: link survives.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "a", "h3", "h4", "h5", "h6",
         "table", "thead", "tbody", "tr", "th", "td", "hr"}


# Rendered texts kept per worker, keyed by the whole source text: the same text always gives the same HTML,
# so a kept one can only be found by someone who has that very text (a case page is read again and again;
# rendering and cleaning its sections was a fifth of its Python time). Bounded in number and in length.
KEPT_RENDERINGS = 512
KEPT_LENGTH = 8000


def render_markdown(text: str | None) -> Markup:
    """Markdown → sanitised HTML (headings shifted below the page's own h1/h2)."""
    if not text:
        return Markup("")
    if len(text) <= KEPT_LENGTH:
        return Markup(_rendered(text))  # noqa: S704 - nh3 output
    return Markup(_render(text))  # noqa: S704 - nh3 output


@lru_cache(maxsize=KEPT_RENDERINGS)
def _rendered(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    html = _md.render(text)
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    return str(nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow"))


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<!\d)(?:0\d{1,4}[-\s(（)）]{0,2}\d{1,4}[-\s)）]{1,2}\d{3,4}|0[5789]0\d{8}|0\d{9})(?!\d)")


def find_pii(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, kind, value) for every e-mail address and phone number found in the content."""
    found: list[tuple[str, str, str]] = []
    for name, value in data.items():
        texts: list[str] = []
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, list):
            texts = [v if isinstance(v, str) else " ".join(str(x) for x in v.values()) for v in value
                     if isinstance(v, (str, dict))]
        for text in texts:
            plain = unicodedata.normalize("NFKC", text)
            for match in EMAIL.finditer(plain):
                found.append((name, "email", match.group(0)))
            for match in PHONE.finditer(plain):
                found.append((name, "phone", match.group(0)))
    return found


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(
            " / ".join(f"{k}: {v}" for k, v in item.items()) if isinstance(item, dict) else str(item)
            for item in value)
    return str(value)


def field_diffs(before: dict[str, Any], after: dict[str, Any], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per changed field, a line diff: [{"field", "lines": [(kind, text)]}], kind in ' ', '+', '-'."""
    result = []
    for name in fields:
        old, new = _as_text(before.get(name)), _as_text(after.get(name))
        if old == new:
            continue
        lines = []
        for line in difflib.ndiff(old.splitlines() or [""], new.splitlines() or [""]):
            if line.startswith("? "):
                continue
            lines.append((line[0], line[2:]))
        result.append({"field": name, "lines": lines})
    return result
