"""The project page's content written in Python, its fixed parts kept per worker (issue 25.5).

Written as template expressions, every text of the page was a gettext through Jinja's context, every amount a
filter call, every label a lookup of a lazy string, every link a url_for: some 2,700 calls a page for a project
of two items and one quote. Here the page's texts and labels are translated once per worker, language and
catalogue (``catalogue_key``) and its links' patterns built once per script root, both with ``kernel.memo.kept``;
a request only formats its own values into them. The HTML is the template's, whitespace included: the template
(project_detail.html) keeps the forms (the approval, the upload and the organiser's tools, which carry a CSRF
token and are rendered by WTForms) and places these pieces around them.

What each viewer sees is decided as before, by the view: ``can_declare`` (the own declaration's panel), the
declaration only a participant's own (project_page reads it under the viewer's tenant), the organiser's forms.
Amounts are exact integers formatted by ``format_yen`` (as the ``yen`` filter), quantities with ``{:,}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from flask_babel import gettext
from markupsafe import Markup, escape

from kernel.i18n import catalogue_key, format_datetime_tokyo, format_fiscal_year, format_yen, in_own_lang, lang_attr
from kernel.memo import kept
from kernel.urls import SECOND_STAND_IN, STAND_IN, kept_link_patterns, link_pattern
from procurement.forms import CATEGORY_LABELS, DECLARATION_LABELS, STATUS_LABELS, UNIT_LABELS
from procurement.project_page import ProjectView
from procurement.queries import Aggregate


def _texts() -> dict[str, Markup]:
    """The page's fixed texts, as the templates' ``_()`` gives them: the translation, trusted markup."""
    return {key: Markup(gettext(message)) for key, message in (
        ("joint_procurement", "Joint procurement"), ("status", "Status"), ("organiser", "Organiser"),
        ("category", "Category"), ("demand_survey", "Demand survey"), ("tokyo_time", "(Tokyo time)"),
        ("contract_period", "Contract period"), ("reason_for_cancelling", "Reason for cancelling"),
        ("printable_sheet", "Printable sheet"), ("savings_report", "Savings report"),
        ("pooled_demand", "Pooled demand"), ("pooled_demand_per_item", "Pooled demand per item"), ("item", "Item"),
        ("unit", "Unit"), ("declared", "Declared"), ("committed", "Committed"),
        ("tier_price_reached", "Tier price reached"), ("next_tier", "Next tier"),
        ("own_declaration", "Your municipality's declaration"), ("maximum_budget", "Maximum budget"),
        ("not_declared", "Your municipality has not declared demand."),
        ("edit_declaration", "Edit the declaration"), ("declare_demand", "Declare demand"),
        ("quotes_and_tiers", "Quotes and price tiers"), ("awarded", "Awarded"), ("from_quantity", "From quantity"),
        ("unit_price", "Unit price"), ("setup_fee", "Set-up fee"), ("no_quote", "No quote recorded yet."),
        ("items", "Items"), ("documents", "Specification documents"), ("no_documents", "No documents yet."),
        ("timeline", "Timeline"),
    )}


def _formats() -> dict[str, Markup]:
    """The page's sentences with values, as their translations: formatted per request as the templates' ``_()``
    formats them (``Markup % values``, which escapes each value that is not markup itself)."""
    return {key: Markup(gettext(message)) for key, message in (
        ("participants", "%(n)s municipalities declared demand, %(c)s committed."),
        ("next_tier", "%(more)s more for %(price)s"),
        ("prices_from", "Prices from the quote of %(vendor)s."),
        ("estimated_total", "Estimated total at this demand: %(amount)s."),
        ("allocated", "Your allocated cost: %(amount)s (buying alone: %(alone)s, saved: %(saved)s)."),
        ("estimated_share", "Estimated share at the current demand: %(amount)s (buying alone: %(alone)s)."),
        ("price_tiers_of", "Price tiers of %(vendor)s"),
    )}


def _labels(labels: dict[str, Any]) -> dict[str, str]:
    # As the blueprint's label helpers and the template's autoescape give them: the label's text, escaped.
    return {key: str(escape(str(label))) for key, label in labels.items()}


@dataclass(frozen=True, slots=True)
class _Words:
    """Everything of the page that depends only on the language and the catalogue."""

    text: dict[str, Markup]
    format: dict[str, Markup]
    status: dict[str, str]
    unit: dict[str, str]
    category: dict[str, str]
    declaration: dict[str, str]


_WORDS: dict[tuple[str, int], _Words] = {}

# The links, built once per app and script root with stand-in ids that the page's ids replace.
_PROJECT, _DOCUMENT = STAND_IN, SECOND_STAND_IN


def _links() -> dict[str, str]:
    return {"index": link_pattern("procurement.index"),
            "print": link_pattern("procurement.print_sheet", project_id=_PROJECT),
            "savings": link_pattern("procurement.savings", project_id=_PROJECT),
            "declaration": link_pattern("procurement.declaration", project_id=_PROJECT),
            "document": link_pattern("procurement.document_download", project_id=_PROJECT, document_id=_DOCUMENT)}


def _words(lang: str, domain: int) -> _Words:
    return kept(_WORDS, (lang, domain), lambda: _Words(
        _texts(), _formats(), _labels(STATUS_LABELS), _labels(UNIT_LABELS), _labels(CATEGORY_LABELS),
        _labels(DECLARATION_LABELS)), 64)


def _label(labels: dict[str, str], key: str) -> str:
    found = labels.get(key)
    return found if found is not None else str(escape(key))  # as the helpers: an unknown key shows as itself


@dataclass(frozen=True, slots=True)
class ContentHtml:
    """The content block in three pieces around the template's forms: ``own`` ends where the approval form
    goes (inside the own declaration's panel; empty without the panel), ``documents`` where the upload form
    goes, ``rest`` runs to the organiser's tools."""

    own: Markup
    documents: Markup
    rest: Markup


def content_html(project: ProjectView, aggregate: Aggregate, can_declare: bool, survey_open: bool) -> ContentHtml:
    """The page's content, but for its forms, in the interface's language."""
    lang, domain = catalogue_key()
    words = _words(lang, domain)
    links = kept_link_patterns("procurement_project_links", _links)
    project_id = str(project.id)
    out: list[str] = []
    _head(out, project, words, lang, links, project_id)
    _pooled(out, aggregate, words, lang)
    if can_declare:
        _own(out, project, aggregate, words, lang)
    own = Markup("".join(out))
    out = []
    if can_declare:
        _own_end(out, aggregate, words, survey_open, links, project_id)
    _quotes(out, project, words, lang)
    _documents(out, project, words, lang, links, project_id)
    documents = Markup("".join(out))
    out = ["\n</section>\n\n"]
    _timeline(out, project, words, lang)
    return ContentHtml(own, documents, Markup("".join(out)))


def _head(out: list[str], project: ProjectView, words: _Words, lang: str, links: dict[str, str],
          project_id: str) -> None:
    t = words.text
    title = escape(project.title)
    out.append(f'\n<p><a href="{links["index"]}">{t["joint_procurement"]}</a></p>\n'
               f'<h1{lang_attr(project.title, lang)}>{title}</h1>\n<dl class="procurement-facts">\n'
               f'  <dt>{t["status"]}</dt><dd><span class="status status--{escape(project.status)}" '
               f'data-testid="project-status">{_label(words.status, project.status)}</span></dd>\n'
               f'  <dt>{t["organiser"]}</dt><dd>{escape(project.organiser.name(lang))}</dd>\n'
               f'  <dt>{t["category"]}</dt><dd>{_label(words.category, project.category)}</dd>\n'
               f'  <dt>{t["demand_survey"]}</dt><dd>{format_datetime_tokyo(project.survey_opens_at)} – '
               f'{format_datetime_tokyo(project.survey_closes_at)} {t["tokyo_time"]}</dd>\n'
               f'  <dt>{t["contract_period"]}</dt><dd>{escape(format_fiscal_year(project.contract_start_fy, lang))} – '
               f'{escape(format_fiscal_year(project.contract_end_fy, lang))}</dd>\n  ')
    if project.cancel_reason:
        out.append(f'<dt>{t["reason_for_cancelling"]}</dt><dd{lang_attr(project.cancel_reason, lang)}>'
                   f'{escape(project.cancel_reason)}</dd>')
    out.append("\n</dl>\n")
    if project.description:
        out.append(f'<div class="procurement-description"{lang_attr(project.description, lang)}>'
                   f'{escape(project.description)}</div>')
    out.append(f'\n<p>\n  <a href="{links["print"].replace(_PROJECT, project_id)}">{t["printable_sheet"]}</a>\n  ')
    if project.contract_total_yen is not None:
        out.append(f' · <a href="{links["savings"].replace(_PROJECT, project_id)}">{t["savings_report"]}</a>')
    out.append("\n</p>\n\n")


def _pooled(out: list[str], aggregate: Aggregate, words: _Words, lang: str) -> None:
    t, f = words.text, words.format
    participants = f["participants"] % {"n": aggregate.declared, "c": aggregate.committed}
    out.append(f'<section aria-labelledby="aggregate-heading">\n'
               f'  <h2 id="aggregate-heading">{t["pooled_demand"]}</h2>\n'
               f'  <p data-testid="participants">{participants}</p>\n  <table>\n'
               f'    <caption class="visually-hidden">{t["pooled_demand_per_item"]}</caption>\n'
               f'    <thead><tr><th scope="col">{t["item"]}</th><th scope="col">{t["unit"]}</th>'
               f'<th scope="col" class="num">{t["declared"]}</th><th scope="col" class="num">{t["committed"]}</th>'
               f'<th scope="col" class="num">{t["tier_price_reached"]}</th><th scope="col">{t["next_tier"]}</th>'
               f'</tr></thead>\n    <tbody>\n    ')
    for a in aggregate.items:
        price = escape(format_yen(a.unit_price_yen, lang)) if a.unit_price_yen is not None else "—"
        if a.next_tier:
            following = f["next_tier"] % {"more": f"{a.next_tier[0]:,}", "price": format_yen(a.next_tier[1], lang)}
        else:
            following = Markup("—")
        out.append(f'\n      <tr data-testid="aggregate-{escape(a.item_id)}">\n'
                   f'        <th scope="row"{lang_attr(a.name, lang)}>{escape(a.name)}</th>'
                   f'<td>{_label(words.unit, a.unit)}</td>\n'
                   f'        <td class="num">{a.declared_quantity:,}</td>'
                   f'<td class="num">{a.committed_quantity:,}</td>\n'
                   f'        <td class="num">{price}</td>\n        <td>{following}</td>\n      </tr>\n    ')
    out.append("\n    </tbody>\n  </table>\n  ")
    if aggregate.quote:
        out.append(f'<p class="hint">{f["prices_from"] % {"vendor": in_own_lang(aggregate.quote.vendor_name, lang)}}')
        if aggregate.estimated_total_yen is not None:
            out.append(f' {f["estimated_total"] % {"amount": format_yen(aggregate.estimated_total_yen, lang)}}')
        out.append("</p>")
    out.append("\n</section>\n\n")


def _own(out: list[str], project: ProjectView, aggregate: Aggregate, words: _Words, lang: str) -> None:
    """The own declaration's panel up to where the approval form goes."""
    t, f = words.text, words.format
    out.append(f'\n<section aria-labelledby="own-heading" class="panel">\n'
               f'  <h2 id="own-heading">{t["own_declaration"]}</h2>\n  \n  ')
    own = aggregate.own
    if not own:
        return
    d = own["declaration"]
    out.append(f'\n    \n    <p data-testid="own-status">{_label(words.declaration, d.status)}</p>\n    <ul>\n      ')
    quantities = d.quantities()
    for item in project.items:
        q = quantities.get(item.id)
        if q:
            out.append(f"<li>{in_own_lang(item.name, lang)}: {q:,} {_label(words.unit, item.unit)}</li>")
    out.append("\n      ")
    if d.max_budget_yen is not None:
        out.append(f'<li>{t["maximum_budget"]}: {escape(format_yen(d.max_budget_yen, lang))}</li>')
    out.append("\n    </ul>\n    ")
    allocation = own["allocation"]
    if allocation:
        sentence = f["allocated"] % {"amount": format_yen(allocation.total_yen, lang),
                                     "alone": format_yen(allocation.standalone_yen, lang),
                                     "saved": format_yen(allocation.savings_yen, lang)}
        out.append(f'\n      <p class="procurement-allocation" data-testid="own-allocation">{sentence}</p>\n    ')
    elif own["estimate_yen"] is not None:
        sentence = f["estimated_share"] % {"amount": format_yen(own["estimate_yen"], lang),
                                           "alone": format_yen(own["standalone_yen"], lang)}
        out.append(f'\n      <p data-testid="own-estimate">{sentence}</p>\n    ')
    out.append("\n    ")


def _own_end(out: list[str], aggregate: Aggregate, words: _Words, survey_open: bool, links: dict[str, str],
             project_id: str) -> None:
    """The own declaration's panel after the approval form's place."""
    t = words.text
    if aggregate.own:
        out.append("\n  ")
    else:
        out.append(f'\n    <p>{t["not_declared"]}</p>\n  ')
    out.append("\n  ")
    if survey_open:
        label = t["edit_declaration"] if aggregate.own else t["declare_demand"]
        out.append(f'<p><a class="button" href="{links["declaration"].replace(_PROJECT, project_id)}">{label}</a></p>')
    out.append("\n</section>\n")


def _quotes(out: list[str], project: ProjectView, words: _Words, lang: str) -> None:
    t, f = words.text, words.format
    out.append(f'\n\n<section aria-labelledby="quotes-heading">\n'
               f'  <h2 id="quotes-heading">{t["quotes_and_tiers"]}</h2>\n  ')
    head = (f'\n      <thead><tr><th scope="col">{t["item"]}</th><th scope="col">{t["from_quantity"]}</th>'
            f'<th scope="col" class="num">{t["unit_price"]}</th><th scope="col" class="num">{t["setup_fee"]}</th>'
            f'</tr></thead>\n      <tbody>\n      ')
    for quote in project.quotes:
        vendor = in_own_lang(quote.vendor_name, lang)
        badge = f' <span class="badge">{t["awarded"]}</span>' if quote.id == project.awarded_quote_id else ""
        out.append(f'\n    <h3>{vendor}{badge}</h3>\n    <table class="procurement-tiers">\n'
                   f'      <caption class="visually-hidden">{f["price_tiers_of"] % {"vendor": vendor}}</caption>{head}')
        for line in quote.lines:
            item = project.item(line.item_id)
            out.append("\n        ")
            first = True
            for tier in line.tiers:
                out.append("\n        <tr>")
                if first:
                    name = (lang_attr(item.name, lang), escape(item.name)) if item else ("", line.item_id)
                    out.append(f'<th scope="row" rowspan="{len(line.tiers)}"{name[0]}>{name[1]}</th>')
                out.append(f'\n          <td>{tier.min_quantity:,}</td>'
                           f'<td class="num">{escape(format_yen(tier.unit_price_yen, lang))}</td>\n          ')
                if first:
                    out.append(f'<td class="num" rowspan="{len(line.tiers)}">'
                               f'{escape(format_yen(line.setup_fee_yen, lang))}</td>')
                out.append("</tr>\n        ")
                first = False
            out.append("\n      ")
        out.append("\n      </tbody>\n    </table>\n  ")
    if not project.quotes:
        out.append(f'\n    <p>{t["no_quote"]}</p>\n  ')
    units = "".join(f"<li>{in_own_lang(item.name, lang)}（{_label(words.unit, item.unit)}）</li>"
                    for item in project.items)
    out.append(f'\n</section>\n\n<section aria-labelledby="items-heading">\n'
               f'  <h2 id="items-heading">{t["items"]}</h2>\n  <ul>{units}</ul>\n</section>\n\n')


def _documents(out: list[str], project: ProjectView, words: _Words, lang: str, links: dict[str, str],
               project_id: str) -> None:
    """The documents' section up to where the upload form goes."""
    t = words.text
    out.append(f'<section aria-labelledby="documents-heading">\n'
               f'  <h2 id="documents-heading">{t["documents"]}</h2>\n  ')
    if project.documents:
        link = links["document"].replace(_PROJECT, project_id)
        items = "".join(f'<li><a href="{link.replace(_DOCUMENT, str(doc.id))}"{lang_attr(doc.title, lang)}>'
                        f'{escape(doc.title)}</a>（{in_own_lang(doc.filename, lang)}、{doc.size:,} B）</li>'
                        for doc in project.documents)
        out.append(f'\n  <ul data-testid="documents">{items}</ul>\n  ')
    else:
        out.append(f'<p>{t["no_documents"]}</p>')
    out.append("\n  ")


def _timeline(out: list[str], project: ProjectView, words: _Words, lang: str) -> None:
    out.append(f'<section aria-labelledby="timeline-heading">\n'
               f'  <h2 id="timeline-heading">{words.text["timeline"]}</h2>\n'
               f'  <ol class="procurement-timeline" data-testid="timeline">\n    ')
    for e in project.events:
        reason = f" — {in_own_lang(e.reason, lang)}" if e.reason else ""
        out.append(f'\n      <li><time datetime="{e.occurred_at.isoformat()}">{format_datetime_tokyo(e.occurred_at)}'
                   f'</time> {_label(words.status, e.to_status)}{reason}</li>\n    ')
    out.append("\n  </ol>\n</section>\n\n")


def approval_shown(aggregate: Aggregate, user: Any, survey_open: bool) -> Optional[int]:
    """The version the approval form carries when the page shows it (a commitment awaiting this administrator's
    approval while the survey is open), else None."""
    own = aggregate.own
    if not own:
        return None
    d = own["declaration"]
    if d.status == "pending_approval" and user.can("tenant.approve_release") and survey_open:
        return int(d.version)
    return None
