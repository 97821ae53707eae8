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

from flask import current_app
from flask_babel import gettext
from markupsafe import Markup, escape

from casebook.helpers import facet_label
from casebook.labels import STAGE_LABELS, SYNONYM_LAYER_LABELS
from casebook.queries import FACETS, FACETS_SHOWN, Filters, Hit, Result
from casebook.views.links import SearchLinks, quote_value
from kernel.i18n import N_, catalogue_key, current_lang, format_fiscal_year, in_own_lang, lang_attr
from kernel.memo import kept
from kernel.urls import STAND_IN, kept_link_patterns, link_pattern

_NOTHING = Markup("")


def text_html(text: str) -> str:
    """``str(escape(text))`` of a str."""
    # Five str.replace (each a scan in C), not one str.translate with markupsafe's replacements as a table, which
    # looks every character of a non-ASCII text up in the table's dict: some 20-50 µs for a Japanese snippet, and a
    # page escapes some seventy titles, snippets and pieces of them (a tenth of the search request's Python).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") \
        .replace('"', "&#34;")


def marked_html(parts: list[tuple[str, bool]]) -> Markup:
    """The pieces of a snippet or title, the hits in <mark> (what the ``snippet`` macro of _content.html writes)."""
    return Markup(_marked(parts))


def _marked(parts: list[tuple[str, bool]]) -> str:
    # ``marked_html`` as a str, for the hits' HTML that puts it into its own text (no Markup made per title and
    # snippet only to be formatted into a str again).
    return "".join([f"<mark>{text_html(piece)}</mark>" if hit else text_html(piece) for piece, hit in parts])


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
    # The entry's link with the id put in (a url_for per page cost as much as a hit).
    entry_url, entry_tail = _kept_links()["entry"].split(STAND_IN)
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
        title_html = _marked(hit.title) if hit.title else text_html(entry.title)
        link = f'<a href="{entry_url}{entry.id}{entry_tail}"{lang_attr(entry.title, lang)}>{title_html}</a>'
        snippet = ""
        if hit.snippet:
            snippet_html = _marked(hit.snippet)
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


# The page's content (the template's content block), written here (issue 22.4) ------------------------------------
# Written as template expressions, the page's two dozen texts each cost a gettext through Jinja's context, and its
# links, labels and loops a call each: more Python than the search's own rows. Here the texts are translated once
# per worker, language and catalogue (kernel.memo.kept), the values escaped as ``{{ value }}`` escaped them; the
# HTML is the template's, whitespace included (tests/casebook/test_search_page_html.py renders the former template
# beside it).

_TEXTS: dict[tuple[str, int], dict[str, Markup]] = {}
# The messages are marked (N_) for the catalogue's extraction, which no longer finds them in the template.
_FACET_NAMES = (("theme", N_("Theme")), ("tool", N_("Tool")), ("kind", N_("Kind of municipality")),
                ("region", N_("Region")), ("fiscal_year", N_("Fiscal year")), ("stage", N_("Stage")))
_SORT_NAMES = (("relevance", N_("Relevance")), ("newest", N_("Newest")), ("adopted", N_("Most adopted")))
_MESSAGES = {
    "casebook": N_("Casebook"),
    "lead": N_("Cases published by TMG curators for every municipality to learn from and adopt."),
    "queue": N_("Curation queue"), "synonyms": N_("Search synonyms"), "search_the": N_("Search the casebook"),
    "hint": N_("Everyday Japanese works: words may appear anywhere in the case; spelling variants such as "
               "こども・子ども・子供 are found alike."),
    "sort_by": N_("Sort by"), "search": N_("Search"), "narrow": N_("Narrow down"),
    "facets_hint": N_("Several values of one filter find the cases with any of them (OR); values of different "
                      "filters must all apply (AND)."),
    "chosen": N_("Chosen filters"), "clear": N_("Clear the filters"), "fewer": N_("Show fewer"),
    "did_you_mean": N_("Did you mean:"),
    "any_word": N_("No case contains every word of your search; these contain some of them."),
    "excel": N_("Download this result as Excel"), "none": N_("No cases found. Try fewer or other words."),
    "pages": N_("Pages"), "previous": N_("Previous"), "next": N_("Next")}
# Texts with values: formatted per page (``%`` escapes each value that is not markup itself).
_FORMATS = {"remove": N_("Remove the filter %(facet)s: %(value)s"), "more": N_("Show %(n)s more"),
            "cases": N_("%(total)s cases"), "page_of": N_("Page %(page)s of %(pages)s")}


def _translated(message: str) -> Markup:
    # As the templates' ``_()`` gives a text: the translation, trusted markup, %-formatted when it holds a "%".
    text = Markup(gettext(message))
    return text % {} if "%" in text else text


def _texts() -> dict[str, Markup]:
    texts = {key: _translated(message) for key, message in _MESSAGES.items()}
    texts.update({key: Markup(gettext(message)) for key, message in _FORMATS.items()})
    texts.update({f"facet:{name}": _translated(message) for name, message in _FACET_NAMES})
    # The sort's <option>s' labels.
    texts.update({f"sort:{key}": _translated(message) for key, message in _SORT_NAMES})
    return texts


def _kept_links() -> dict[str, str]:
    """The page's fixed links (the curators' two, an entry's with a stand-in id), built once per app and script
    root."""
    return kept_link_patterns("casebook_search_links", lambda: {
        "queue": link_pattern("casebook.curation_queue"), "synonyms": link_pattern("casebook.curation_synonyms"),
        "entry": link_pattern("casebook.casebook_entry", entry_id=STAND_IN)})


def title_text() -> Markup:
    """The page's title (the template's title block)."""
    return kept(_TEXTS, catalogue_key(), _texts, 64)["casebook"]


def page_html(filters: Filters, errors: dict[str, str], result: Result, links: SearchLinks, suggestions: list[str],
              facets: dict[str, Facet], hits: Markup, can_curate: bool, expanded: Optional[str],
              facets_shown: int) -> Markup:
    """The page's content: the search form, the facets, the hits and the pagination."""
    lang = current_lang()
    t = kept(_TEXTS, catalogue_key(), _texts, 64)
    out = [f'\n<h1>{t["casebook"]}</h1>\n<p class="lead">{t["lead"]}</p>\n']
    if can_curate:
        curators = _kept_links()
        out.append(f'<p><a href="{curators["queue"]}">{t["queue"]}</a> · '
                   f'<a href="{curators["synonyms"]}">{t["synonyms"]}</a></p>')
    chosen = filters.chosen()
    out.append(f'\n<form method="get" role="search" class="search-form" aria-label="{t["search_the"]}">\n'
               f'  <label for="q">{t["search_the"]}</label>\n  <p class="hint" id="q-hint">{t["hint"]}</p>\n'
               f'  <input type="search" id="q" name="q" value="{text_html(filters.q)}" aria-describedby="q-hint">\n  ')
    for name, value in chosen:
        out.append(f'<input type="hidden" name="{text_html(name)}" value="{text_html(value)}">')
    out.append(f'\n  <label for="sort">{t["sort_by"]}</label>\n  <select id="sort" name="sort">\n    ')
    for key, _message in _SORT_NAMES:
        selected = " selected" if filters.sort == key else ""
        out.append(f'\n    <option value="{key}"{selected}>{t["sort:" + key]}</option>\n    ')
    out.append(f'\n  </select>\n  <button type="submit">{t["search"]}</button>\n</form>\n')
    if errors:
        out.append('<div class="error-summary" role="alert"><ul>')
        out.extend(f"<li>{escape(message)}</li>" for message in errors.values())
        out.append("</ul></div>")
    out.append(f'\n<div class="casebook-layout">\n<aside class="facets" aria-labelledby="facets-heading">\n  \n'
               f'  <h2 id="facets-heading">{t["narrow"]}</h2>\n'
               f'  <p class="hint" id="facets-hint">{t["facets_hint"]}</p>\n  ')
    if chosen:
        out.append(_chips_html(t, chosen, links, lang))
    out.append("\n  ")
    for name, _message in _FACET_NAMES:
        out.append("\n    ")
        facet = facets.get(name)
        if facet:
            out.append(f'\n    <h3 id="facet-{name}">{t["facet:" + name]}</h3>\n'
                       f'    <ul aria-labelledby="facet-{name}" aria-describedby="facets-hint">\n    \n    \n    \n'
                       f'    {facet.items}\n    </ul>\n    \n    ')
            if facet.total > facets_shown:
                if expanded == name:
                    out.append(f'\n    <p><a href="{text_html(links.fewer())}" data-testid="facet-fewer-{name}">'
                               f'{t["fewer"]}</a></p>\n    \n    ')
                else:
                    out.append(f'\n    <p><a href="{text_html(links.more(name))}" data-testid="facet-more-{name}">'
                               f'{t["more"] % {"n": facet.total - facets_shown}}</a></p>\n    ')
            out.append("\n    ")
        out.append("\n  ")
    total = f"{result.total}+" if result.capped else str(result.total)
    out.append(f'\n</aside>\n<section class="results" aria-labelledby="results-heading">\n'
               f'  <h2 id="results-heading">{t["cases"] % {"total": total}}</h2>\n  ')
    if suggestions:
        out.append(f'<p class="suggestions" role="status" data-testid="did-you-mean">{t["did_you_mean"]} ')
        out.append("、".join(f'<a href="{text_html(links.query(s))}">{text_html(s)}</a>' for s in suggestions))
        out.append("</p>")
    out.append("\n  ")
    if result.any_word:
        out.append(f'<p class="notice" role="status" data-testid="any-word">{t["any_word"]}</p>')
    out.append(f'\n  <p><a href="{text_html(links.export())}">{t["excel"]}</a></p>\n  <ol class="hits">\n  ')
    out.append(hits if hits else f'\n    <li>{t["none"]}</li>\n  ')
    out.append("\n  </ol>\n  ")
    if result.pages > 1:
        out.append(f'\n  <nav aria-label="{t["pages"]}"><ul class="pagination">\n    ')
        if result.page > 1:
            out.append(f'<li><a href="{text_html(links.page(result.page - 1))}">{t["previous"]}</a></li>')
        out.append(f'\n    <li>{t["page_of"] % {"page": result.page, "pages": result.pages}}</li>\n    ')
        if result.page < result.pages:
            out.append(f'<li><a href="{text_html(links.page(result.page + 1))}">{t["next"]}</a></li>')
        out.append("\n  </ul></nav>\n  ")
    out.append("\n</section>\n</div>\n")
    return Markup("".join(out))


def _chips_html(t: dict[str, Markup], chosen: list[tuple[str, str]], links: SearchLinks, lang: str) -> str:
    """The chosen filters, each a chip that takes it away, and the link that takes them all away."""
    labels = _labels(lang)
    out = [f'\n  <h3 id="chosen-heading">{t["chosen"]}</h3>\n  <ul class="chips" aria-labelledby="chosen-heading">\n  ']
    for name, value in chosen:
        label = labels.get((name, value))
        if label is None:
            shown = facet_label(name, value)
            label = labels[(name, value)] = (shown, in_own_lang(shown, lang))
        shown, html = label
        facet = t["facet:" + name]
        aria = t["remove"] % {"facet": facet, "value": shown}
        out.append(f'\n    \n    <li class="chip">{facet}: {html} <a href="{text_html(links.toggle(name, value))}" '
                   f'class="chip__remove" data-testid="remove-{name}" aria-label="{aria}">✕</a></li>\n  ')
    out.append(f'\n  </ul>\n  <p><a href="{text_html(links.clear())}" data-testid="clear-filters">{t["clear"]}</a>'
               '</p>\n  ')
    return "".join(out)
