"""What the casebook search page shows per hit and per facet value, worked out in Python once per request.

The page has twenty hits and up to ninety facet values. Written as template expressions, each of them
called gettext, url_for, the language of the interface and a macro per item (several hundred calls
through Jinja's context per page, more Python time than the search's own). Here the request's language,
the messages and the entry URL are looked up once; the labels of facet values (the same for everyone:
the published casebook's themes and tools, the municipalities' kinds and regions, the stages and fiscal
years) are kept per worker. The template holds the page's markup but for the two long lists, the facet values'
<li> and the hits' <li>, written here whole (one expression each instead of several per item through Jinja's
context, and one piece of output instead of dozens: each piece passes through the template's generators).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from casebook.helpers import facet_label
from casebook.labels import STAGE_LABELS, SYNONYM_LAYER_LABELS
from casebook.queries import FACETS, FACETS_SHOWN, Filters, Hit, Result
from casebook.views.links import SearchLinks, quote_value
from kernel.i18n import current_lang, format_fiscal_year, in_own_lang, lang_attr

_NOTHING = Markup("")


# markupsafe.escape's replacements as one table: a piece of text escaped in one call (escape costs four, with
# the Markup it makes; a page's titles and snippets have some two hundred pieces).
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def text_html(text: str) -> str:
    """``str(escape(text))`` of a str."""
    return text.translate(_HTML)


def marked_html(parts: list[tuple[str, bool]]) -> Markup:
    """The pieces of a snippet or title, the hits in <mark> (what the ``snippet`` macro of _content.html writes)."""
    return Markup("".join([f"<mark>{piece.translate(_HTML)}</mark>" if hit else piece.translate(_HTML)
                           for piece, hit in parts]))


@dataclass(slots=True)
class FacetValue:
    value: str
    count: int
    shown: str  # the label (a kind, region or stage in the interface's language; a fiscal year as 年度)
    html: Markup  # the label in its own language (in_own_lang)
    href: str  # the page with this value added to the facet's chosen ones, or taken away
    chosen: bool


@dataclass(slots=True)
class Facet:
    name: str
    values: list[FacetValue]  # those shown: FACETS_SHOWN, or every one when the facet is expanded
    total: int  # how many values the facet has
    items: Markup  # the <li> of each value shown, as the template writes them in the facet's <ul>


# Facet labels per worker: (language, facet, value) → (label, label in its own language). Shared published
# data only, the same for every viewer; bounded (cleared when full: the set of values is small and stable).
LABELS_KEPT = 4096

# The text around each value's link and each hit in the page (with the whitespace the template's loops wrote
# before these were built here: the page stays the same byte for byte).
_FACET_ITEM = "\n      \n      \n      <li>{}</li>\n    "
_HIT_ITEM = ('\n    <li class="hit" data-testid="hit">\n      <h3>{}</h3>\n      <p class="hit__meta">{}</p>\n'
             '      {}\n      {}\n    </li>\n  ')
_SYNONYM_NOTE = '<p class="hit__synonym" data-testid="synonym-match" data-layer="{}">{}</p>'


def _labels(lang: str) -> dict[tuple[str, str], tuple[str, Markup]]:
    """The kept labels of one language (see LABELS_KEPT): (facet, value) → (label, label in its own language)."""
    kept: dict[str, dict[tuple[str, str], tuple[str, Markup]]] = \
        current_app.extensions.setdefault("casebook_facet_labels", {})
    labels = kept.get(lang)
    if labels is None or len(labels) >= LABELS_KEPT:
        labels = kept[lang] = {}
    return labels


def facets_view(result: Result, filters: Filters, links: SearchLinks, expanded: Optional[str]) -> dict[str, Facet]:
    """Each facet that has values, with the values it shows (``expanded``: the facet whose "more" was asked for).

    A page has up to ninety values: each one's link and <li> are written here in one expression (the template's
    loop, with five expressions per value escaped through Jinja's context, cost more than the rest of the
    facets' work), its link from the facet's link with the value's quoted text put in (see SearchLinks.adding).
    """
    lang = current_lang()
    labels = _labels(lang)
    # As the templates' newstyle gettext does: the translation is trusted markup, its values are escaped.
    chosen_label = Markup(gettext("%(value)s (%(count)s), chosen: remove"))
    facets = {}
    for name in FACETS:
        values = result.facets.get(name)
        if not values:
            continue
        chosen = {str(v) for v in getattr(filters, name)}
        shown_values = values if expanded == name else values[:FACETS_SHOWN]
        adding = links.adding(name)
        items = []
        html_items = []
        for value, count in shown_values:
            value = str(value)
            label = labels.get((name, value))
            if label is None:
                shown = facet_label(name, value)
                label = labels[(name, value)] = (shown, in_own_lang(shown, lang))
            shown, html = label
            is_chosen = value in chosen
            if is_chosen or adding is None:
                href = links.toggle(name, value)
                href_html = str(escape(href))
            else:
                quoted = quote_value(value)
                href = f"{adding[0]}{quoted}{adding[1]}"
                href_html = f"{adding[2]}{quoted}{adding[3]}"
            items.append(FacetValue(value, count, shown, html, href, is_chosen))
            html_items.append(_FACET_ITEM.format(facet_link(href_html, shown, html, count,
                                                            chosen_label if is_chosen else None)))
        facets[name] = Facet(name, items, result.facet_totals.get(name, len(values)), Markup("".join(html_items)))
    return facets


def facet_link(href_html: str, shown: str, html: Markup, count: int, chosen_label: Optional[Markup]) -> str:
    """A facet value's link (``href_html``: its escaped URL): ☐ to add it, ☑ (``chosen_label``: the message of its
    aria-label) to remove it."""
    label = f"{html} ({count})"
    if chosen_label is None:
        return f'<a href="{href_html}" class="facet-value">☐ {label}</a>'
    aria = chosen_label % {"value": shown, "count": count}
    return (f'<a href="{href_html}" class="facet-value facet-value--chosen" aria-current="true" '
            f'aria-label="{aria}">☑ <strong>{label}</strong></a>')


def hits_view(hits: list[Hit]) -> Markup:
    """The hits of the page, each as the <li> the template wrote: its link, marked title, municipality, year,
    stage, adoptions, snippet and synonym notes (nothing without hits)."""
    if not hits:
        return _NOTHING
    lang = current_lang()
    entry_url = url_for("casebook.casebook_entry", entry_id=0)
    assert entry_url.endswith("/0")
    entry_url = str(escape(entry_url[:-1]))
    # As the templates' newstyle gettext does: the translation is trusted markup, its values are escaped.
    adopted_by = Markup(gettext("Adopted by %(n)s"))
    synonym_sentence = Markup(gettext("“%(found)s” matched as a synonym of “%(word)s” (%(layer)s)"))
    # The same municipalities, years, stages and adoption counts come back on a page: each written once.
    tenants: dict[str, str] = {}
    years: dict[Any, str] = {}
    stages: dict[str, str] = {}
    adoptions: dict[int, str] = {}
    html = []
    for hit in hits:
        entry = hit.entry
        tenant = hit.tenant
        code = tenant.code if tenant else ""
        name = tenants.get(code)
        if name is None:
            name = tenants[code] = str(escape(tenant.name(lang) if tenant else ""))
        meta = name
        if entry.fiscal_year:
            year = years.get(entry.fiscal_year)
            if year is None:
                year = years[entry.fiscal_year] = str(escape(format_fiscal_year(entry.fiscal_year, lang)))
            meta = f"{meta} · {year}"
        stage = stages.get(entry.stage)
        if stage is None:
            stage = stages[entry.stage] = str(escape(str(STAGE_LABELS.get(entry.stage, entry.stage))))
        adopted = adoptions.get(entry.adoption_count)
        if adopted is None:
            adopted = adoptions[entry.adoption_count] = str(adopted_by % {"n": entry.adoption_count})
        title_html = marked_html(hit.title) if hit.title else text_html(entry.title)
        link = f'<a href="{entry_url}{entry.id}"{lang_attr(entry.title, lang)}>{title_html}</a>'
        snippet = ""
        if hit.snippet:
            snippet_html = marked_html(hit.snippet)
            if snippet_html:
                attr = lang_attr("".join([piece for piece, _hit in hit.snippet]), lang)
                snippet = f'<p class="snippet"{attr}>{snippet_html}</p>'
        notes = "".join(_SYNONYM_NOTE.format(escape(via.layer), synonym_note(synonym_sentence, via))
                        for via in hit.synonyms) if hit.synonyms else ""
        html.append(_HIT_ITEM.format(link, f"{meta} · {stage} · {adopted}", snippet, notes))
    return Markup("".join(html))


def synonym_note(sentence: Markup, via: Any) -> Markup:
    """The synonym note of a hit: which word of the query it matched through which synonym and layer."""
    return sentence % {"found": via.found, "word": via.word,
                       "layer": str(SYNONYM_LAYER_LABELS.get(via.layer, via.layer))}
