"""Japanese first, English available. Each domain package keeps its own catalogue.

Message ids are English; ``translations/ja`` of each package holds the Japanese. The catalogues
of all packages are merged; a module's own catalogue wins on its own pages (see domain_for).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional
from zoneinfo import ZoneInfo

import flask_babel
from babel.dates import format_date
from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import Domain, force_locale, get_locale, get_translations, gettext
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from kernel.extensions import babel

SUPPORTED = ("ja", "en")
TOKYO = ZoneInfo("Asia/Tokyo")
ROOT = Path(__file__).resolve().parent.parent
# Packages with a catalogue. The kernel comes last: merged first, its entries never win over a domain's
# (see domain_for); a new domain goes before it.
PACKAGES = ("portal", "tenants", "casebook", "procurement", "awards", "workload", "community", "support", "kernel")

JAPANESE_SCRIPT = re.compile(r"[\u3041-\u30fa\u30fc-\u30ff\u3400-\u9fff\uff66-\uff9f々〆]")
LATIN_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")

ERAS = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
)


def select_locale() -> str:
    if not has_request_context():
        return "ja"  # CLI commands and services called outside a request speak Japanese
    chosen = session.get("lang")
    if chosen in SUPPORTED:
        return str(chosen)
    return "ja"  # Japanese first: English only when the person chose it


def current_lang() -> str:
    ctx = _babel_context()
    # The locale Flask-Babel has chosen for this request (or force_locale's), without its lookups.
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    if locale is None:
        locale = get_locale()
    return locale.language if locale is not None else "ja"


def catalogue_key() -> tuple[str, int]:
    """What a translated text depends on: the language and the catalogue (domain) of this request.

    For per-worker caches of translated labels. The domains live as long as the process (domain_for
    keeps them; Flask-Babel's default is the extension's own), so their ids never name another one.
    """
    return current_lang(), id(flask_babel.get_domain())


def fiscal_year_of(day: date) -> int:
    """年度: April to March, named by the calendar year in which it starts."""
    return day.year if day.month >= 4 else day.year - 1


def wareki_year(year: int, month: int = 4, day: int = 1) -> tuple[str, int]:
    """(era, year in era) for a Gregorian date; the first year is 1 (元年 is rendered by the caller)."""
    point = date(year, month, day)
    for start, era_ja, _era_en in ERAS:
        if point >= start:
            return era_ja, year - start.year + 1
    return "", year


def format_fiscal_year(year: Optional[int], lang: Optional[str] = None) -> str:
    """令和8年度 in Japanese, FY2026 in English."""
    if year is None:
        return ""
    lang = lang or current_lang()
    if lang == "en":
        return f"FY{year}"
    era, n = wareki_year(year, 4, 1)
    return f"{era}{'元' if n == 1 else n}年度"


def format_yen(amount: int | Decimal | None, lang: Optional[str] = None) -> str:
    """Exact yen, no floats: 1,234,567円 / ¥1,234,567."""
    if amount is None:
        return ""
    lang = lang or current_lang()
    value = Decimal(amount)
    sign, value = ("-" if value < 0 else ""), abs(value)
    # Whole yen as integers; a Decimal with sen keeps its digits (exact, never rounded away).
    text = f"{int(value):,}" if value == value.to_integral_value() else f"{value:,}"
    return f"{sign}¥{text}" if lang == "en" else f"{sign}{text}円"


def format_day(value: date | datetime | None, lang: Optional[str] = None) -> str:
    if value is None:
        return ""
    lang = lang or current_lang()
    if isinstance(value, datetime):
        day = (value.astimezone(TOKYO) if value.tzinfo else value).date()
    else:
        day = value
    if lang == "en":
        return format_date(day, format="medium", locale="en")
    era, n = wareki_year(day.year, day.month, day.day)
    return f"{day.year}年{day.month}月{day.day}日（{era}{'元' if n == 1 else n}年）"


def format_day_both(value: date | datetime | None, lang: Optional[str] = None) -> str:
    """A date in 和暦 and 西暦 for printed sheets: 令和8年11月30日（2026年11月30日） / 30 November 2026 (Reiwa 8)."""
    if value is None:
        return ""
    lang = lang or current_lang()
    day = (value.astimezone(TOKYO) if value.tzinfo else value).date() if isinstance(value, datetime) else value
    era, n = wareki_year(day.year, day.month, day.day)
    if lang == "en":
        era_en = next((en for _start, ja, en in ERAS if ja == era), era)
        return f"{format_date(day, format='d MMMM y', locale='en')} ({era_en} {n})"
    return f"{era}{'元' if n == 1 else n}年{day.month}月{day.day}日（{day.year}年{day.month}月{day.day}日）"


def today_tokyo() -> date:
    """Today's date in Asia/Tokyo (deadlines and printed dates are Japanese dates)."""
    return datetime.now(TOKYO).date()


def format_datetime_tokyo(value: datetime | None) -> str:
    """A timestamp in Asia/Tokyo, to the minute."""
    if value is None:
        return ""
    local = value.astimezone(TOKYO) if value.tzinfo else value
    return local.strftime("%Y-%m-%d %H:%M")


_NO_ATTR = Markup("")
_JA_ATTR = Markup(' lang="ja"')
_EN_ATTR = Markup(' lang="en"')


def lang_attr(text: object, lang: str | None = None) -> Markup:
    """` lang="ja"` for Japanese text in the English interface, ` lang="en"` for Latin-only text in the
    Japanese one, else nothing: names and titles keep their own language for screen readers. ``lang``
    is the interface's language when the caller already has it (a page of many values asks once)."""
    value = "" if text is None else str(text)
    if JAPANESE_SCRIPT.search(value):
        return _JA_ATTR if (lang or current_lang()) != "ja" else _NO_ATTR
    if LATIN_WORD.search(value) and (lang or current_lang()) == "ja":
        return _EN_ATTR
    return _NO_ATTR


def in_own_lang(text: object, lang: str | None = None) -> Markup:
    """The text escaped, in a ``<span lang>`` where its language is not the interface's (see
    lang_attr): for a value inside a sentence or beside other words, ``{{ _("Review: %(t)s",
    t=entry.title|in_own_lang) }}``; an element holding only the value takes ``|lang_attr`` instead."""
    if text is None:
        return _NO_ATTR
    attr = lang_attr(text, lang)
    return Markup(f"<span{attr}>{escape(text)}</span>") if attr else escape(text)


# The same English id may mean different things in different modules ("Title" is 件名 for a
# procurement project, タイトル for a case; "Saved" is 保存日時 or 削減額). The catalogues are merged,
# and the one merged last wins, so each module's requests get a domain whose own catalogue is merged
# last. The default (CLI, unmapped views) lets the foundation's catalogues win.
_domains: dict[str, Domain] = {}


def _catalogue_dirs(first_priority: str) -> list[str]:
    order = [pkg for pkg in reversed(PACKAGES) if pkg != first_priority] + [first_priority]
    return [str(ROOT / pkg / "translations") for pkg in order if (ROOT / pkg / "translations").is_dir()]


def domain_for(package: str) -> Domain:
    """The translations as seen from one package's pages (its own catalogue wins)."""
    if package not in _domains:
        _domains[package] = Domain(translation_directories=_catalogue_dirs(package))
    return _domains[package]


def _select_domain() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    package = (getattr(view, "__module__", "") or "").split(".")[0]
    if package in PACKAGES and package != "portal":
        domain_for(package).as_default()


def _babel_context() -> Optional[SimpleNamespace]:
    """Flask-Babel's per-app-context namespace (``g._flask_babel``: domain, locale), found directly.

    Flask-Babel's own ``_get_current_context`` reaches it through three ``g`` proxy look-ups; every
    gettext, get_locale and get_domain calls it, about 120 times on a light page (issue 25.5). This is
    the same object, read from the app context itself. init_babel installs it in Flask-Babel's place;
    tests/kernel/test_i18n_context.py keeps the two the same.
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    values = app_ctx.g.__dict__
    ctx = values.get("_flask_babel")
    if ctx is None:
        ctx = values["_flask_babel"] = SimpleNamespace()
    return ctx


def _translations() -> Any:
    """The request's translations, looked up once per (domain, locale) instead of on every message.

    A page calls gettext a hundred times or more; Flask-Babel resolves the context, the domain and
    the locale's identifier on each call (about 6 µs). The cache is kept with the domain and locale
    objects it was made for, so ``domain_for(...).as_default()`` and ``force_locale`` (which set new
    ones) are seen at once.
    """
    ctx = _babel_context()
    if ctx is None:
        return get_translations()
    cached = getattr(ctx, "yokoten_translations", None)
    # The cache holds the domain and locale objects themselves (compared with `is`), never their ids.
    if cached is not None and cached[0] is getattr(ctx, "babel_domain", None) \
            and cached[1] is getattr(ctx, "babel_locale", None):
        return cached[2]
    translations = get_translations()
    ctx.yokoten_translations = (getattr(ctx, "babel_domain", None), getattr(ctx, "babel_locale", None), translations)
    return translations


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """``_()`` in templates, as Jinja's newstyle gettext does it: the translation, marked safe when the
    template autoescapes (its %(name)s values are then escaped), and always %-formatted, so ``%%`` reads
    ``%`` with or without variables. tests/kernel/test_i18n_context.py compares it with ``gettext()``."""
    translated = _translations().ugettext(string)
    if eval_ctx.autoescape:
        translated = Markup(translated)
    if not variables and "%" not in translated:
        # What ``% {}`` gives for a text without a "%": itself. Most of a page's texts take this path, and
        # Markup's % would escape an empty mapping through a helper object (some 8 calls each, issue 25.5).
        return translated
    return translated % variables


def init_babel(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(_catalogue_dirs("portal"))
    # Flask-Babel finds its context through module-level look-ups of this name at call time.
    flask_babel._get_current_context = _babel_context
    babel.init_app(app, locale_selector=select_locale)
    # Templates call gettext through the per-request cache above (Flask-Babel's own callables, faster).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    # ``_()`` itself without Jinja's alias, which resolves and calls the newstyle gettext through two
    # Context.call layers on every text of every page; same semantics (see _template_gettext).
    app.jinja_env.globals["_"] = _template_gettext
    app.before_request(_select_domain)
    app.jinja_env.filters["yen"] = format_yen
    app.jinja_env.filters["fiscal_year"] = format_fiscal_year
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["datetime_tokyo"] = format_datetime_tokyo
    app.jinja_env.filters["lang_attr"] = lang_attr
    app.jinja_env.filters["in_own_lang"] = in_own_lang
    app.jinja_env.filters["day_both"] = format_day_both
    app.jinja_env.globals["current_lang"] = current_lang
    app.jinja_env.globals["today"] = today_tokyo


def service_gettext(message: str, **variables: Any) -> str:
    """gettext for services: translated now, in the request's language; Japanese (the first language) in
    CLI commands, background work and tests without a request; the English id without an app."""
    if not has_app_context():
        return message % variables if variables else message
    if has_request_context():
        return str(gettext(message, **variables))
    with force_locale("ja"):
        return str(gettext(message, **variables))


def N_(message: str) -> str:  # noqa: N802 - the conventional name of a gettext no-op marker
    """Mark a message for extraction without translating it here (pure modules translate later)."""
    return message
