"""What the casebook entry page shows per adopter and per related case, worked out in Python once per request,
and its content kept per worker (issue 25.5).

Written as template expressions, each adopter and each related case called the interface's language, a
label, a filter or url_for through Jinja's context (five to seven calls per item); here the language, the
labels and the entry URL are looked up once. The template still holds the page's markup; what it receives
is escaped HTML, the same bytes as the loops wrote.

The entry's content (the ``content`` macro of _content.html: the meta list and the sections) is the same
for every reader in one language: it is rendered by the macro once and kept per worker, keyed by every
value it shows, the language, the catalogue and the script root. A kept rendering is therefore never
shown for other content (an edit by a curator gives another key); only published content, which every
member may read, or a retired entry's, which only a curator reaches (the view refuses the others before
rendering), is kept.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import flask_babel
from flask import current_app, request, url_for
from markupsafe import Markup, escape

from casebook.entry_page import EntryView
from casebook.labels import ADOPTION_LABELS
from casebook.queries import AdoptionRow
from casebook.suggest import Related
from kernel.i18n import format_fiscal_year, in_own_lang, lang_attr
from kernel.memo import kept
from tenants.models import TenantRow

CONTENT_KEPT = 512  # entries' content per worker and language (a few kB each); emptied when full


def adopters_html(adopters: list[tuple[AdoptionRow, TenantRow]], lang: str) -> Markup:
    """The items of the adopters' list: municipality — status[: own outcome]; or that there is none."""
    if not adopters:
        # As the templates' newstyle gettext does: the translation is trusted markup.
        return Markup(f"<li>{Markup(flask_babel.gettext('No adoptions yet.'))}</li>")
    labels: dict[str, str] = {}
    items = []
    for adoption, tenant in adopters:
        label = labels.get(adoption.status)
        if label is None:
            label = labels[adoption.status] = str(escape(str(ADOPTION_LABELS.get(adoption.status, adoption.status))))
        outcome = f": {in_own_lang(adoption.outcome, lang)}" if adoption.outcome else ""
        items.append(f"<li>{escape(tenant.name(lang))} — {label}{outcome}</li>")
    return Markup("".join(items))


def similar_names(similar: list[TenantRow], lang: str) -> str:
    """The names of the adopters of the viewer's kind, as the sentence lists them."""
    return "、".join(t.name_ja for t in similar) if lang == "ja" else ", ".join(t.name_en for t in similar)


def related_html(related: list[Related], lang: str) -> Markup:
    """The items of the related cases' list: the linked title, the municipality and the fiscal year."""
    if not related:
        return Markup("")
    entry_url = url_for("casebook.casebook_entry", entry_id=0)
    assert entry_url.endswith("/0")
    entry_url = str(escape(entry_url[:-1]))
    items = []
    for r in related:
        year = f" · {escape(format_fiscal_year(r.fiscal_year, lang))}" if r.fiscal_year else ""
        items.append(f'<li><a href="{entry_url}{r.id}"{lang_attr(r.title, lang)}>{escape(r.title)}</a> '
                     f"<small>{escape(r.municipality(lang))}{year}</small></li>")
    return Markup("".join(items))


def _content_key(entry: EntryView, lang: str) -> tuple[Hashable, ...]:
    # Every value the macro shows (the lists as tuples, the KPIs by their repr: dicts are not hashable).
    return (lang, id(flask_babel.get_domain()), request.script_root, entry.id, entry.title, entry.summary,
            entry.problem, entry.approach, entry.outcomes, tuple(entry.themes or ()), tuple(entry.tools or ()),
            entry.fiscal_year, entry.cost_jpy, entry.department, entry.stage, repr(entry.kpis),
            tuple(entry.vendors or ()), tuple(entry.products or ()), tuple(entry.ordinances or ()), entry.lessons,
            entry.replication_conditions, entry.contact, entry.successor_contact)


def kept_content(entry: EntryView, lang: str) -> Callable[..., Markup]:
    """For ``{% call kept_content() %}{{ content(entry) }}{% endcall %}``: the macro's HTML, rendered once."""
    if current_app.jinja_env.auto_reload:  # development: an edited template shows at once (as cached_fragment)
        return lambda caller: Markup(caller())
    store: dict[Hashable, Markup] = current_app.extensions.setdefault("casebook_entry_content", {})
    key = _content_key(entry, lang)

    def call(caller: Callable[[], Any]) -> Markup:
        return kept(store, key, lambda: Markup(caller()), CONTENT_KEPT)

    return call
