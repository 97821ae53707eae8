"""What the casebook entry page shows per adopter and per related case, worked out in Python once per request,
and its content kept per worker (issue 25.5).

Written as template expressions, each adopter and each related case called the interface's language, a
label, a filter or url_for through Jinja's context (five to seven calls per item); here the language, the
labels and the entry URL are looked up once. The template still holds the page's markup; what it receives
is escaped HTML, the same bytes as the loops wrote. The heading and the adoption's and questions' sections
around them are written the same way (``page_html``, below).

The entry's content (the ``content`` macro of _content.html: the meta list and the sections) is the same
for every reader in one language: it is rendered by the macro once and kept per worker, keyed by every
value it shows, the language, the catalogue and the script root. A kept rendering is therefore never
shown for other content (an edit by a curator gives another key); only published content, which every
member may read, or a retired entry's, which only a curator reaches (the view refuses the others before
rendering), is kept.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Optional

import flask_babel
from flask import current_app, request
from markupsafe import Markup, escape

from casebook.entry_page import AnswerRow, EntryView, QuestionRow
from casebook.labels import ADOPTION_LABELS
from casebook.queries import AdoptionRow
from casebook.suggest import Related
from kernel.i18n import catalogue_key, format_datetime_tokyo, format_day, format_fiscal_year, in_own_lang, lang_attr
from kernel.memo import kept
from kernel.urls import STAND_IN, kept_link_patterns, link_pattern
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
    entry_url = _kept_links()["entry"]
    items = []
    for r in related:
        year = f" · {escape(format_fiscal_year(r.fiscal_year, lang))}" if r.fiscal_year else ""
        items.append(f'<li><a href="{entry_url.replace(_STAND_IN, str(r.id))}"{lang_attr(r.title, lang)}>'
                     f'{escape(r.title)}</a> '
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


# The page around the content and the forms (issue 25.5) ---------------------------------------------------------
# Written as template expressions, the heading, the adoption and the questions' sections cost a gettext through
# Jinja's context per text, a filter call per value and a url_for per link. Here the texts are translated once per
# worker, language and catalogue, and the links' patterns built once per app and script root (kernel.memo.kept);
# the HTML is the template's, whitespace included. The template keeps the curator's links and the forms that
# WTForms renders (the adoption's, the question's) between the pieces.

_TEXTS: dict[tuple[str, int], dict[str, Markup]] = {}
_STAND_IN = STAND_IN  # the entry's or question's id in a link's pattern, replaced by the page's


def _texts() -> dict[str, Markup]:
    # As the templates' ``_()`` gives them: the translation, trusted markup (formatted with ``%`` where it has
    # values, which escapes each value that is not markup itself).
    return {key: Markup(flask_babel.gettext(message)) for key, message in (
        ("published", "Published %(d)s"), ("adopted_by", "Adopted by %(n)s"), ("retired", "Retired"),
        ("supported", "Supported by TMG (伴走型支援)"), ("print", "Print sheet"), ("related", "Related cases"),
        ("related_hint", "Published cases sharing themes, tools or words of the title with this one, the closest "
                         "first."),
        ("adoption", "Adoption (横展開)"), ("similar", "Municipalities of a similar kind that adopted it: %(names)s"),
        ("questions_to", "Questions to %(tenant)s"), ("your_answer", "Your answer"), ("answer", "Answer"),
        ("no_questions", "No questions yet."))}


def _links() -> dict[str, str]:
    return {"entry": link_pattern("casebook.casebook_entry", entry_id=_STAND_IN),
            "print": link_pattern("casebook.casebook_print", entry_id=_STAND_IN),
            "answer": link_pattern("casebook.casebook_answer", question_id=_STAND_IN),
            "adopt": link_pattern("casebook.casebook_adopt", entry_id=_STAND_IN),
            "adoption": link_pattern("casebook.casebook_adoption_update", entry_id=_STAND_IN),
            "ask": link_pattern("casebook.casebook_ask", entry_id=_STAND_IN)}


def _kept_links() -> dict[str, str]:
    """The page's links with a stand-in id, built once per app and script root."""
    return kept_link_patterns("casebook_entry_links", _links)


@dataclass(frozen=True, slots=True)
class EntryHtml:
    """The page's content in three pieces around the template's parts: ``head`` ends in the actions' list where
    the curator's links go, ``adoption`` runs from after the content to where the adoption's form goes,
    ``questions`` from there to where the question's form goes; and the links the forms post to."""

    head: Markup
    adoption: Markup
    questions: Markup
    adopt_url: Markup
    adoption_url: Markup
    ask_url: Markup


def page_html(entry: EntryView, source: Optional[TenantRow], lang: str, adopters: Markup, similar: str,
              related: Markup, questions: list[tuple[QuestionRow, list[AnswerRow]]], can_answer: bool,
              answer_error: Optional[tuple[int, str]], csrf_input: Markup) -> EntryHtml:
    """The heading, the related cases, the adoption's and the questions' sections but for their forms."""
    t = kept(_TEXTS, catalogue_key(), _texts, 64)
    links = _kept_links()
    source_name = source.name(lang) if source else ""
    published = t["published"] % {"d": format_day(entry.published_at, lang)}
    adopted = t["adopted_by"] % {"n": entry.adoption_count}
    head = [f'\n<h1{lang_attr(entry.title, lang)}>{escape(entry.title)}</h1>\n'
            f'<p class="case-status">{escape(source_name)} · {published} · '
            f'<span data-testid="adoption-count">{adopted}</span>\n  ']
    if entry.status == "retired":
        head.append(f'<span class="badge">{t["retired"]}</span>')
    head.append("\n  ")
    if entry.supported_by_tmg:
        head.append(f'<span class="badge" data-testid="supported-by-tmg">{t["supported"]}</span>')
    print_link = links["print"].replace(_STAND_IN, str(entry.id))
    head.append(f'</p>\n<ul class="actions">\n  <li><a class="button button--secondary" href="{print_link}">'
                f'{t["print"]}</a></li>\n  ')
    adoption = ["\n"]
    if related:
        adoption.append(f'\n<section aria-labelledby="related-heading" class="related" data-testid="related">\n'
                        f'  <h2 id="related-heading">{t["related"]}</h2>\n  <p class="hint">{t["related_hint"]}</p>\n'
                        f'  <ul>{related}</ul>\n</section>\n')
    adoption.append(f'\n<section aria-labelledby="adoption-heading" class="panel">\n'
                    f'  <h2 id="adoption-heading">{t["adoption"]}</h2>\n  ')
    if similar:
        adoption.append(f'<p data-testid="similar">{t["similar"] % {"names": similar}}</p>')
    adoption.append(f'\n  <ul data-testid="adopters">{adopters}</ul>\n  ')
    entry_id = str(entry.id)
    return EntryHtml(Markup("".join(head)), Markup("".join(adoption)),
                     _questions_html(t, links, source_name, lang, questions, can_answer, answer_error, csrf_input),
                     *(Markup(links[name].replace(_STAND_IN, entry_id)) for name in ("adopt", "adoption", "ask")))


def _questions_html(t: dict[str, Markup], links: dict[str, str], source_name: str, lang: str,
                    questions: list[tuple[QuestionRow, list[AnswerRow]]], can_answer: bool,
                    answer_error: Optional[tuple[int, str]], csrf_input: Markup) -> Markup:
    out = [f'\n</section>\n<section aria-labelledby="questions-heading" class="panel">\n'
           f'  <h2 id="questions-heading">{t["questions_to"] % {"tenant": source_name}}</h2>\n  ']
    for q, answers in questions:
        out.append(f'\n  <article class="question" id="question-{q.id}">\n'
                   f'    <h3>{in_own_lang(q.asker_name, lang)} <small>{format_datetime_tokyo(q.created_at)}</small>'
                   f'</h3>\n    <p{lang_attr(q.body, lang)}>{escape(q.body)}</p>\n    ')
        for a in answers:
            out.append(f'<div class="answer"><p><strong{lang_attr(a.answerer_name, lang)}>{escape(a.answerer_name)}'
                       f'</strong> <small>{format_datetime_tokyo(a.created_at)}</small></p>'
                       f'<p{lang_attr(a.body, lang)}>{escape(a.body)}</p></div>')
        out.append("\n    ")
        if can_answer:
            failed = answer_error is not None and answer_error[0] == q.id
            out.append(f'\n    <form method="post" action="{links["answer"].replace(_STAND_IN, str(q.id))}">\n'
                       f'      {csrf_input}\n      <label for="answer-{q.id}">{t["your_answer"]}</label>\n      ')
            if failed:
                assert answer_error is not None
                out.append(f'<p class="field-error" id="answer-{q.id}-error" role="alert">'
                           f'{escape(answer_error[1])}</p>')
            out.append(f'\n      <textarea id="answer-{q.id}" name="body"')
            if failed:
                out.append(f' aria-describedby="answer-{q.id}-error" aria-invalid="true"')
            out.append(f'></textarea>\n      <button type="submit">{t["answer"]}</button>\n    </form>\n    ')
        out.append("\n  </article>\n  ")
    if not questions:
        out.append(f'<p>{t["no_questions"]}</p>')
    out.append("\n  ")
    return Markup("".join(out))
