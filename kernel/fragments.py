"""Parts of the shared layout rendered once per worker instead of on every page (issue 25.5).

Most of the layout is the same for everyone reading in one language: the stylesheets and scripts,
the site title, the labels of the header's buttons, the idle warning's texts. Rendering it costs a
url_for or a gettext per line on every page. In a template::

    {% call cached_fragment("base:styles") %} … {% endcall %}

renders the block the first time and keeps the HTML, keyed by the fragment's name, any extra key
values given after it, the language, the catalogue (domain) of the page and the script root. The block
may therefore use only what that key covers: translated texts, ``url_for`` of fixed endpoints and the
app's configuration — never the person, their municipality, the request's path, a CSRF token or
anything read from the database. Whatever else it needs goes into the extra key values (e.g. the
person's role names for their badges), so two people with different values never share an entry.

A ``stencil`` goes one step further for a block that holds a few per-request values (a CSRF token, the
page's address, a count): it is kept with a mark in place of each value, and each page joins the kept
parts with its own values. base.html's header and idle warning are two stencils (portal/layout.py).

The caches live in ``app.extensions`` (one per app, so apps with other settings never share one), are
bounded, and are not used while templates reload (debug / TEMPLATES_AUTO_RELOAD) so an edited
template shows at once in development. tests/portal/test_layout_cache.py renders the layout for
people of two municipalities, roles and languages and checks that each sees only their own.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any

import flask_babel
from flask import Flask
from flask.globals import _cv_app, _cv_request
from markupsafe import Markup, escape

from kernel.i18n import _babel_context, current_lang
from kernel.memo import kept

_EXTENSION = "yokoten_fragments"
MAX_FRAGMENTS = 4096  # a few variants per fragment (languages × catalogues × role sets × pages); a guard
_STENCILS = "yokoten_stencils"
# A stencil's key holds the navigation's (municipality, roles, page): a few hundred variants in a worker.
MAX_STENCILS = 4096
# What a slot renders as while its stencil is built: characters no page text contains (NUL is not allowed in
# HTML), so the built HTML splits exactly at the slots.
_SLOT_MARK = "\x00"
_SLOTS = re.compile("\x00([A-Za-z_][A-Za-z0-9_]*)\x00")


def cached_fragment(name: str, *key: Hashable, caller: Callable[[], str]) -> Markup:
    """The block's HTML for (name, key, language, catalogue, script root), rendered at the first use."""
    # The app and request straight from their context variables: a page has a dozen fragments, and the
    # current_app / request proxies would cost more than the look-up itself.
    app = _cv_app.get().app
    if app.jinja_env.auto_reload:  # development (debug / TEMPLATES_AUTO_RELOAD): an edit shows at once
        return Markup(caller())
    cache: dict[tuple[Any, ...], Markup] = app.extensions[_EXTENSION]
    return kept(cache, (name, key, *_key_context()), lambda: Markup(caller()), MAX_FRAGMENTS)


def _key_context() -> tuple[str, Any, str]:
    """The language, catalogue and script root a kept block depends on besides its own key."""
    # The language and catalogue as current_lang() and flask_babel.get_domain() give them, read in one go
    # from Flask-Babel's context once it holds both (after the page's first text).
    babel = _babel_context()
    locale, domain = getattr(babel, "babel_locale", None), getattr(babel, "babel_domain", None)
    if locale is None or domain is None:
        lang, domain = current_lang(), flask_babel.get_domain()
    else:
        lang = locale.language
    return lang, id(domain), _cv_request.get().request.script_root


def stencil(name: str, /, *key: Hashable, caller: Callable[[Callable[[str], Markup]], str], **values: Any) -> Markup:
    """A block kept like a ``cached_fragment``, with slots filled on every page::

        {% call(slot) stencil("base:top", nav_key(), csrf=csrf_token(), here=request.path) %}
          … <input type="hidden" name="csrf_token" value="{{ slot('csrf') }}"> …
        {% endcall %}

    The block is rendered once per (name, key, language, catalogue, script root) with a mark in place of each
    ``slot(…)``; each page then joins the kept HTML with its own values, escaped as ``{{ value }}`` would
    escape them. The whole layout of a page thus costs a dictionary look-up and a join instead of a few
    hundred template steps (issue 25.5). The rule of ``cached_fragment`` holds for the block itself: it may
    use only what its key covers; a per-request value reaches it only as a slot, written plainly as
    ``{{ slot("name") }}`` (no filter, no test: the block does not see the value); whatever decides the
    block's shape (logged in or not, whether a count is shown) goes into the key.
    """
    app = _cv_app.get().app
    if app.jinja_env.auto_reload:  # development: an edited template shows at once, with the real values
        return Markup(caller(lambda slot: escape(values[slot])))
    parts = kept(app.extensions[_STENCILS], (name, key, tuple(values), *_key_context()),
                 lambda: _SLOTS.split(caller(lambda slot: Markup(f"{_SLOT_MARK}{slot}{_SLOT_MARK}"))), MAX_STENCILS)
    # parts: the text before the first slot, then each slot's name and the text after it.
    html = [parts[0]]
    for index in range(1, len(parts), 2):
        html.append(escape(values[parts[index]]))
        html.append(parts[index + 1])
    return Markup("".join(html))


def init_fragments(app: Flask) -> None:
    app.extensions[_EXTENSION] = {}
    app.extensions[_STENCILS] = {}
    app.jinja_env.globals["cached_fragment"] = cached_fragment
    app.jinja_env.globals["stencil"] = stencil
