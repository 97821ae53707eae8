"""What the casebook search page shows per hit and per facet value, worked out in Python once per request.

The page has twenty hits and up to ninety facet values. Written as template expressions, each of them
called gettext, url_for, the language of the interface and a macro per item (several hundred calls
through Jinja's context per page, more Python time than the search's own). Here the request's language,
the messages and the entry URL are looked up once; the labels of facet values (the same for everyone:
the published casebook's themes and tools, the municipalities' kinds and regions, the stages and fiscal
years) are kept per worker. The template still holds all the markup; what it receives is escaped text.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from casebook.helpers import facet_label
from casebook.labels import STAGE_LABELS, SYNONYM_LAYER_LABELS
from casebook.queries import FACETS, FACETS_SHOWN, Filters, Hit, Result
from casebook.views.links import SearchLinks
from kernel.i18n import current_lang, format_fiscal_year, in_own_lang, lang_attr
from kernel.memo import kept

_NOTHING = Markup("")


def marked_html(parts: list[tuple[str, bool]]) -> Markup:
    """The pieces of a snippet or title, the hits in <mark> (what the ``snippet`` macro of _content.html writes)."""
    return Markup("".join(f"<mark>{escape(piece)}</mark>" if hit else str(escape(piece)) for piece, hit in parts))


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    shown: str  # the label (a kind, region or stage in the interface's language; a fiscal year as 年度)
    html: Markup  # the label in its own language (in_own_lang)
    href: str  # the page with this value added to the facet's chosen ones, or taken away
    chosen: bool
    link: Markup  # the value's link as the template writes it in its <li> (see facet_link)


@dataclass(frozen=True)
class Facet:
    name: str
    values: list[FacetValue]  # those shown: FACETS_SHOWN, or every one when the facet is expanded
    total: int  # how many values the facet has


@dataclass(frozen=True)
class HitView:
    href: str
    link: Markup  # the link of the heading: the marked title, with its lang attribute when not Japanese
    meta: Markup
    snippet: Markup  # the snippet's paragraph (with its lang attribute), or nothing
    synonyms: list[tuple[str, Markup]]  # (layer, the sentence saying which word matched as which synonym)


# Facet labels per worker: (language, facet, value) → (label, label in its own language). Shared published
# data only, the same for every viewer; bounded (cleared when full: the set of values is small and stable).
LABELS_KEPT = 4096


def _label(lang: str, name: str, value: str) -> tuple[str, Markup]:
    labels: dict[Hashable, tuple[str, Markup]] = current_app.extensions.setdefault("casebook_facet_labels", {})

    def build() -> tuple[str, Markup]:
        shown = facet_label(name, value)
        return shown, in_own_lang(shown, lang)

    return kept(labels, (lang, name, value), build, LABELS_KEPT)


def facets_view(result: Result, filters: Filters, links: SearchLinks, expanded: Optional[str]) -> dict[str, Facet]:
    """Each facet that has values, with the values it shows (``expanded``: the facet whose "more" was asked for)."""
    lang = current_lang()
    # As the templates' newstyle gettext does: the translation is trusted markup, its values are escaped.
    chosen_label = Markup(gettext("%(value)s (%(count)s), chosen: remove"))
    facets = {}
    for name in FACETS:
        values = result.facets.get(name)
        if not values:
            continue
        chosen = {str(v) for v in getattr(filters, name)}
        # (The search read only these: FACETS_SHOWN, or every one of the expanded facet.)
        shown_values = values if expanded == name else values[:FACETS_SHOWN]
        items = []
        for value, count in shown_values:
            shown, html = _label(lang, name, str(value))
            href = links.toggle(name, str(value))
            is_chosen = str(value) in chosen
            items.append(FacetValue(value, count, shown, html, href, is_chosen,
                                    facet_link(href, shown, html, count, chosen_label if is_chosen else None)))
        facets[name] = Facet(name, items, result.facet_totals.get(name, len(values)))
    return facets


def facet_link(href: str, shown: str, html: Markup, count: int, chosen_label: Optional[Markup]) -> Markup:
    """A facet value's link: ☐ to add it, ☑ (``chosen_label``: the message of its aria-label) to remove it.

    Written here, not in the template: a page has up to ninety values, and the template's five expressions
    per value (each escaped through Jinja's context) cost more than the rest of the facets' work.
    """
    label = f"{html} ({count})"
    if chosen_label is None:
        return Markup(f'<a href="{escape(href)}" class="facet-value">☐ {label}</a>')
    aria = chosen_label % {"value": shown, "count": count}
    return Markup(f'<a href="{escape(href)}" class="facet-value facet-value--chosen" aria-current="true" '
                  f'aria-label="{aria}">☑ <strong>{label}</strong></a>')


def hits_view(hits: list[Hit]) -> list[HitView]:
    """What each hit shows: its link, marked title, municipality, year, stage, adoptions, snippet, synonyms."""
    if not hits:
        return []
    lang = current_lang()
    entry_url = url_for("casebook.casebook_entry", entry_id=0)
    assert entry_url.endswith("/0")
    entry_url = entry_url[:-1]
    # As the templates' newstyle gettext does: the translation is trusted markup, its values are escaped.
    adopted_by = Markup(gettext("Adopted by %(n)s"))
    synonym_sentence = Markup(gettext("“%(found)s” matched as a synonym of “%(word)s” (%(layer)s)"))
    stages: dict[str, str] = {}
    views = []
    for hit in hits:
        entry = hit.entry
        meta = [str(escape(hit.tenant.name(lang) if hit.tenant else ""))]
        if entry.fiscal_year:
            meta.append(str(escape(format_fiscal_year(entry.fiscal_year, lang))))
        stage = stages.get(entry.stage)
        if stage is None:
            stage = stages[entry.stage] = str(STAGE_LABELS.get(entry.stage, entry.stage))
        meta.append(str(escape(stage)))
        meta.append(str(adopted_by % {"n": entry.adoption_count}))
        title_html = marked_html(hit.title) if hit.title else escape(entry.title)
        href = f"{entry_url}{entry.id}"
        # The heading's link and the snippet's paragraph whole: each piece the template wrote was escaped
        # through Jinja's context on its own (seven per hit).
        link = Markup(f'<a href="{escape(href)}"{lang_attr(entry.title, lang)}>{title_html}</a>')
        snippet = _NOTHING
        if hit.snippet:
            snippet_html = marked_html(hit.snippet)
            if snippet_html:
                attr = lang_attr("".join(piece for piece, _hit in hit.snippet), lang)
                snippet = Markup(f'<p class="snippet"{attr}>{snippet_html}</p>')
        synonyms = [(via.layer, synonym_note(synonym_sentence, via)) for via in hit.synonyms]
        views.append(HitView(href, link, Markup(" · ".join(meta)), snippet, synonyms))
    return views


def synonym_note(sentence: Markup, via: Any) -> Markup:
    """The synonym note of a hit: which word of the query it matched through which synonym and layer."""
    return sentence % {"found": via.found, "word": via.word,
                       "layer": str(SYNONYM_LAYER_LABELS.get(via.layer, via.layer))}
