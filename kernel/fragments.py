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

The cache lives in ``app.extensions`` (one per app, so apps with other settings never share one), is
bounded, and is not used while templates reload (debug / TEMPLATES_AUTO_RELOAD) so an edited
template shows at once in development. tests/portal/test_layout_cache.py renders the layout for
people of two municipalities, roles and languages and checks that each sees only their own.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import flask_babel
from flask import Flask
from flask.globals import _cv_app, _cv_request
from markupsafe import Markup

from kernel.i18n import _babel_context, current_lang
from kernel.memo import kept

_EXTENSION = "yokoten_fragments"
MAX_FRAGMENTS = 4096  # a few variants per fragment (languages × catalogues × role sets × pages); a guard


def cached_fragment(name: str, *key: Hashable, caller: Callable[[], str]) -> Markup:
    """The block's HTML for (name, key, language, catalogue, script root), rendered at the first use."""
    # The app and request straight from their context variables: a page has a dozen fragments, and the
    # current_app / request proxies would cost more than the look-up itself.
    app = _cv_app.get().app
    if app.jinja_env.auto_reload:  # development (debug / TEMPLATES_AUTO_RELOAD): an edit shows at once
        return Markup(caller())
    cache: dict[tuple[Any, ...], Markup] = app.extensions[_EXTENSION]
    # The language and catalogue as current_lang() and flask_babel.get_domain() give them, read in one go
    # from Flask-Babel's context once it holds both (after the page's first text): a dozen fragments a page.
    babel = _babel_context()
    locale, domain = getattr(babel, "babel_locale", None), getattr(babel, "babel_domain", None)
    if locale is None or domain is None:
        lang, domain = current_lang(), flask_babel.get_domain()
    else:
        lang = locale.language
    full_key = (name, key, lang, id(domain), _cv_request.get().request.script_root)
    return kept(cache, full_key, lambda: Markup(caller()), MAX_FRAGMENTS)


def init_fragments(app: Flask) -> None:
    app.extensions[_EXTENSION] = {}
    app.jinja_env.globals["cached_fragment"] = cached_fragment
