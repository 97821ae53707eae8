"""The shared layout's per-request values, for the two stencils of base.html (kernel.fragments.stencil).

base.html keeps its header (the person, roles, navigation, language and logout forms) and its idle warning as
stencils: rendered once per key, filled on every page with this request's values. The key and the values are
gathered here in one call rather than in a dozen template expressions, each a trip through Jinja's call
machinery (issue 25.5). What decides a stencil's shape goes into its key; what differs from request to
request goes into a slot.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.globals import _cv_app, _cv_request
from markupsafe import Markup

from kernel.fragments import stencil
from kernel.i18n import current_lang, lang_attr
from kernel.notifications.service import cached_unread_count
from tenants.auth import request_user, session_expires_in

Caller = Callable[[Callable[[str], Markup]], str]
_BOTTOM = "yokoten_layout_bottom"  # on g: what layout_top found, for layout_bottom


def init_layout(app: Flask) -> None:
    """The templates' ``layout_top`` and ``layout_bottom`` (after init_signed_cookies: its csrf_token)."""
    csrf_token: Callable[[], str] = app.jinja_env.globals["csrf_token"]  # type: ignore[assignment]
    config = app.config

    def layout_top(caller: Caller) -> Markup:
        """From the CSRF meta tag to the opening of <main>: the person, roles, navigation, the header's forms."""
        # The request, g and the person read once, not through the request / g / current_user proxies.
        request, values = _cv_request.get().request, _cv_app.get().g.__dict__
        user = request_user()
        csrf = csrf_token()
        here = request.full_path if request.query_string else request.path
        # The idle settings are in the key: a changed configuration shows at the next page.
        settings = (config["SESSION_WARN_SECONDS"], config["DRAFT_SAVE_DELAY_MS"])
        if not user.is_authenticated:
            values[_BOTTOM] = (False, csrf, here)
            return stencil("base:top", False, settings, caller=caller, csrf=csrf, here=here, expires=0, unread=0,
                           tenant="", name_attr="", name="")
        values[_BOTTOM] = (True, csrf, here)
        lang = current_lang()
        unread = cached_unread_count(user.tenant_id, user.id)  # read by the session check
        # The municipality, roles and page: with the language, catalogue and script root (which the stencil
        # adds), what the navigation depends on (kernel.navigation.nav_key), and the role badges.
        key = (user.tenant_id, frozenset(user.roles), request.endpoint)
        return stencil("base:top", True, settings, key, unread > 0, caller=caller, csrf=csrf, here=here,
                       expires=session_expires_in() or 0, unread=unread, tenant=user.tenant.name(lang),
                       name_attr=lang_attr(user.display_name, lang), name=user.display_name)

    def layout_bottom(caller: Caller) -> Markup:
        """The idle warning (its form carries the token and the page's address) and the footer."""
        authenticated, csrf, here = _cv_app.get().g.__dict__.get(_BOTTOM) or (False, csrf_token(),
                                                                              _cv_request.get().request.path)
        return stencil("base:bottom", authenticated, caller=caller, csrf=csrf, here=here)

    app.jinja_env.globals.update(layout_top=layout_top, layout_bottom=layout_bottom)
