"""Links of the casebook search page: each keeps every other argument (repeated facet values included)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional
from urllib.parse import quote_plus, urlencode

from flask import url_for
from markupsafe import escape

from kernel.urls import kept_link_patterns


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    # The same words and facet values come back in every link of a page and on every page.
    return quote_plus(text)


def quote_value(text: str) -> str:
    """A value as the links write it (``quote_plus``: letters, digits, ``_.-~``, ``%XX`` and ``+`` only)."""
    return _quoted(text)


# The characters werkzeug's url_for leaves as they are in a query string (werkzeug.urls._urlencode).
_URL_FOR_SAFE = "!$'()*,/:;?@"

# Stands for a facet value in ``SearchLinks.adding`` (a private-use character: no facet value holds it).
_MARKER = "\ue000"


def _encode(params: dict[str, list[str]]) -> str:
    """``urlencode(params, doseq=True)`` of lists of strings, the same text, with each piece quoted once."""
    return "&".join(f"{_quoted(key)}={_quoted(value)}" for key, values in params.items() for value in values)


class SearchLinks:
    """URLs derived from the page's own query string (a MultiDict: a facet may be given several times)."""

    def __init__(self, args: Any, endpoint: str = "casebook.casebook_index") -> None:
        self._params: dict[str, list[str]] = {k: args.getlist(k) for k in args}
        self._endpoint = endpoint
        # The page has about a hundred such links (every facet value): the route is built once (per app and
        # script root) and each link only encodes its arguments (url_for per link was a tenth of the request's
        # time).
        self._base = kept_link_patterns(f"casebook_search_route:{endpoint}", lambda: {"url": url_for(endpoint)})["url"]

    def _url(self, endpoint: str = "", **changes: list[str]) -> str:
        params: dict[str, Any] = {k: v for k, v in {**self._params, **changes}.items() if v}
        if endpoint and endpoint != self._endpoint:
            return url_for(endpoint, **params)
        return f"{self._base}?{_encode(params)}" if params else self._base

    def toggle(self, name: str, value: str) -> str:
        """Adds the value to its facet's chosen ones (OR), or takes it away when chosen; back to page 1."""
        chosen = self._params.get(name, [])
        values = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        changes: dict[str, list[str]] = {name: values, "page": []}
        return self._url("", **changes)

    def adding(self, name: str) -> Optional[tuple[str, str, str, str]]:
        """(head, tail, head escaped, tail escaped) such that ``toggle(name, value)`` of a value not chosen is
        ``head + quote_value(value) + tail``: a facet's ninety links are built from one (None if the marker
        happens to be in the page's arguments: each link is then built on its own)."""
        if _MARKER in self._params.get(name, []):
            return None
        url = self.toggle(name, _MARKER)
        marker = _quoted(_MARKER)
        if url.count(marker) != 1:
            return None
        head, tail = url.split(marker)
        return head, tail, str(escape(head)), str(escape(tail))

    def query(self, words: str) -> str:
        """The same filters with other words (a "did you mean" suggestion); back to page 1."""
        return self._url("", q=[words], page=[])

    def more(self, name: str) -> str:
        return self._url(more=[name])

    def fewer(self) -> str:
        return self._url(more=[])

    def page(self, number: int) -> str:
        return self._url(page=[str(number)])

    def export(self) -> str:
        """The Excel export of the same search: ``url_for`` of the export with the page's arguments but "more", from
        the export's route built once (as ``_base``) and its arguments encoded as werkzeug's ``url_for`` encodes
        them (its safe characters, not ``quote_plus``'s)."""
        base = kept_link_patterns("casebook_search_route:casebook.casebook_export",
                                  lambda: {"url": url_for("casebook.casebook_export")})["url"]
        items = [(key, value) for key, values in self._params.items() if key != "more" for value in values]
        return f"{base}?{urlencode(items, safe=_URL_FOR_SAFE)}" if items else base

    def clear(self) -> str:
        """The words and sort order kept, every chosen filter gone."""
        kept: dict[str, Any] = {k: v for k, v in self._params.items() if k in ("q", "sort") and v}
        return f"{self._base}?{_encode(kept)}" if kept else self._base
