"""The home dashboard's content written in Python, its fixed texts kept per worker (issue 25.5).

Written as template expressions, the dashboard's few lines cost some 350 function calls a view (every text a
gettext through Jinja's context, every value an escape through the runtime, every loop a Jinja loop context):
more than the counts themselves once their plans are kept (kernel/waiting.py). Here the texts are translated
once per worker, language and catalogue (``catalogue_key``) with ``kernel.memo.kept``; a view formats only its
own values into them, escaped as the template's autoescape escaped them. The HTML is the template's, whitespace
included (tests/portal/test_home_html.py renders the former template beside it).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import get_translations, gettext
from markupsafe import Markup, escape

from kernel.dashboard import Figure
from kernel.i18n import catalogue_key, current_lang, in_own_lang
from kernel.memo import kept
from kernel.waiting import WaitingItem


@dataclass(frozen=True, slots=True)
class _Words:
    """The dashboard's texts in one language and catalogue, as the template's ``_()`` gave them: trusted markup."""

    dashboard_of: Markup
    welcome: Markup
    waiting_for_you: Markup
    oldest_today: Markup
    nothing_waiting: Markup
    at_a_glance: Markup
    no_figures: Markup


def _words() -> _Words:
    return _Words(Markup(gettext("Dashboard of %(tenant)s")), Markup(gettext("Welcome, %(name)s.")),
                  *(_plain(message) for message in ("Waiting for you", "oldest: today", "Nothing is waiting for you.",
                                                    "Your municipality at a glance", "No figures yet.")))


def _plain(message: str) -> Markup:
    # As the template's ``_()`` without values: %-formatted with nothing when the translation holds a "%".
    translated = Markup(gettext(message))
    return translated % {} if "%" in translated else translated


_kept_words: dict[tuple[str, int], _Words] = {}


def _age(words: _Words, age: int) -> Markup:
    if age == 0:
        return words.oldest_today
    # As Jinja's newstyle ngettext: the translation as markup, then %-formatted with ``num``.
    return Markup(get_translations().ungettext("oldest: %(num)s day ago", "oldest: %(num)s days ago", age)) % {
        "num": age}


def dashboard_content(user: Any, figures: Sequence[Figure], waiting: Sequence[WaitingItem]) -> Markup:
    """The content block of portal/home.html for the person (``user``: the person, not the proxy)."""
    words = kept(_kept_words, catalogue_key(), _words, 64)
    parts = ["\n<h1>", words.dashboard_of % {"tenant": user.tenant.name(current_lang())},
             '</h1>\n<p class="lead">', words.welcome % {"name": in_own_lang(user.display_name)},
             '</p>\n<section aria-labelledby="waiting-heading" class="waiting" data-testid="waiting">\n'
             '  <h2 id="waiting-heading">', words.waiting_for_you, "</h2>\n  "]
    if waiting:
        parts.append('\n  <ul class="waiting__list">\n    ')
        for item in waiting:
            age = item.age_days()
            parts += ['\n    \n    <li class="waiting__item" data-testid="waiting-', escape(item.key),
                      '">\n      <a href="', escape(item.url), '"><span class="waiting__count">', escape(item.count),
                      "</span> ", escape(item.label), "</a>\n      "]
            if age is not None:
                parts += ['<span class="waiting__age">', _age(words, age), "</span>"]
            parts.append("\n    </li>\n    ")
        parts.append("\n  </ul>\n  ")
    else:
        parts += ["\n  <p>", words.nothing_waiting, "</p>\n  "]
    parts += ['\n</section>\n<section aria-labelledby="figures-heading">\n  <h2 id="figures-heading">',
              words.at_a_glance, "</h2>\n  "]
    if figures:
        parts.append('\n  <ul class="figures">\n    ')
        for figure in figures:
            parts += ['\n      <li class="figure">\n        <span class="figure__value">', escape(figure.value),
                      '</span>\n        <span class="figure__label">']
            if figure.url:
                parts += ['<a href="', escape(figure.url), '">', escape(figure.label), "</a>"]
            else:
                parts.append(escape(figure.label))
            parts.append("</span>\n      </li>\n    ")
        parts.append("\n  </ul>\n  ")
    else:
        parts += ["\n  <p>", words.no_figures, "</p>\n  "]
    parts.append("\n</section>\n")
    # Every piece is markup already: the fixed HTML above, the translations, or an escaped value.
    return Markup("".join(parts))
