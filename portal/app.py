"""The application factory: configuration, extensions, blueprints, request lifecycle."""
from __future__ import annotations

import itertools
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import jinja2
import jinja2.environment
import jinja2.runtime
from flask import Flask
from flask.templating import Environment as FlaskEnvironment

from kernel import config as config_module


class PortalTemplate(jinja2.Template):
    """Jinja's template, with the look-up of an imported template's module made cheap.

    Every ``{% from "macros/…" import … %}`` asks whether the importing page has globals the macro file
    lacks. Jinja 3.1 computes that as ``set - ChainMap.keys()``, which runs in Python through
    ``collections.abc`` one key at a time: some 245 function calls per import on every page that imports
    macros (issue 25.5). The same difference taken by ``set.difference`` iterates the ChainMap once in C.
    Otherwise Jinja's code as it is (jinja2/environment.py, Template._get_default_module);
    tests/portal/test_template_imports.py checks the result against Jinja's own.
    """

    def _get_default_module(self, ctx: Optional[jinja2.runtime.Context] = None) -> jinja2.environment.TemplateModule:
        if self.environment.is_async:
            raise RuntimeError("Module is not available in async mode.")
        if ctx is not None:
            keys = ctx.globals_keys.difference(self.globals)
            if keys:
                return self.make_module({k: ctx.parent[k] for k in keys})
        if self._module is None:
            self._module = self.make_module()
        return self._module


class PortalEnvironment(FlaskEnvironment):
    template_class = PortalTemplate


class Portal(Flask):
    """Flask, keeping ``ensure_sync``'s answer per function.

    Flask asks ``inspect.iscoroutinefunction`` of every hook and view on every request (some 26 times for
    a page); whether a function is a coroutine function never changes, so the answer is kept (bounded, in
    case some extension hands over a new callable per request).
    """

    _MAX_KEPT = 4096
    jinja_environment = PortalEnvironment

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._sync_functions[func]
        except KeyError:
            result = super().ensure_sync(func)
            if len(self._sync_functions) < self._MAX_KEPT:
                self._sync_functions[func] = result
            return result
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)


def create_app(config: Optional[dict[str, Any]] = None) -> Flask:
    """Build the portal. No database work happens here, so gunicorn --preload is safe."""
    app = Portal("portal", static_folder="static", template_folder="templates")
    settings = config_module.from_environment()
    settings.update(config or {})
    app.config.update(config_module.finalise(settings))
    app.config["PERMANENT_SESSION_LIFETIME"] = 3600 * int(app.config["SESSION_ABSOLUTE_HOURS"])
    # A CSRF token lives as long as the session it belongs to (it is also replaced at login and logout).
    if not app.config.get("WTF_CSRF_TIME_LIMIT"):
        app.config["WTF_CSRF_TIME_LIMIT"] = app.config["PERMANENT_SESSION_LIFETIME"]

    install_proxy_fix(app)
    register_extensions(app)
    register_blueprints(app)
    register_lifecycle(app)
    from portal import idempotency

    idempotency.init_app(app)  # after the lifecycle hooks: its answer is recorded before the request's commit
    from portal import drafts

    drafts.init_app(app)  # likewise: a saved form's draft is deleted before the commit
    register_cli(app)
    skip_limiter_middleware_without_limits(app)
    check_csrf_after_the_method(app)
    # Every model is imported by now: set up the mappers' relationships and attribute instrumentation here,
    # once, before gunicorn forks (with --preload the workers share the result). SQLAlchemy would otherwise
    # do it at the first ORM query of each process, and the session check builds its objects without one.
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    return app


def skip_limiter_middleware_without_limits(app: Flask) -> None:
    """Drop Flask-Limiter's check before every request when it has nothing to check there.

    The portal's rate limits are all on routes (the SSO login and back-channel views, by decorator), and
    each decorated view checks its own limits when it runs. The check Flask-Limiter also runs before every
    request only enforces default, application, meta and blueprint limits; with none configured it found
    nothing, at some 280 function calls on every page (issue 25.5). It stays whenever such a limit exists,
    so a limit configured later (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION, a limited blueprint) still holds.
    tests/tenants/test_rate_limit_middleware.py covers both sides.
    """
    from kernel.extensions import limiter

    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or list(itertools.chain(*limiter._meta_limits)) \
            or any(manager._blueprint_limits.values()):
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [hook for hook in hooks if hook != limiter._check_request_limit]


def check_csrf_after_the_method(app: Flask) -> None:
    """Flask-WTF's CSRF check before every request, asking first whether the request's method needs a token.

    Flask-WTF's own hook first looks up whether the view is exempt (the view function and its blueprints, through
    the request and current_app proxies) and only then whether the method needs a token at all: some ten look-ups
    on every GET that end in "nothing to check" (issue 25.5). This hook asks the method (WTF_CSRF_METHODS) first
    and then runs Flask-WTF's check itself, unchanged (``csrf.protect(apply_exemptions=True)``: exemptions, token,
    referrer), in the hook's place (first before every other hook). A request whose method needs a token is
    checked exactly as before; one whose method needs none was, and is, not checked. tests/kernel/test_csrf.py
    sends every state-changing route without a token and expects the refusal.
    """
    from flask.globals import _cv_request

    from kernel.extensions import csrf

    hooks = app.before_request_funcs.get(None, [])
    flask_wtf_hook = "CSRFProtect.init_app.<locals>.csrf_protect"
    found = [hook for hook in hooks if getattr(hook, "__qualname__", "") == flask_wtf_hook]
    if len(found) != 1:
        return  # not the Flask-WTF hook this was written for: it stays as it is
    config = app.config

    def csrf_protect() -> None:
        if _cv_request.get().request.method in config["WTF_CSRF_METHODS"] and config["WTF_CSRF_ENABLED"] \
                and config["WTF_CSRF_CHECK_DEFAULT"]:
            csrf.protect(apply_exemptions=True)

    hooks[hooks.index(found[0])] = csrf_protect


def install_proxy_fix(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS reverse proxies, take the client address, scheme and host from their
    X-Forwarded-* headers (Werkzeug ProxyFix). 0 (default): the headers are ignored, since a client
    could otherwise forge its address for the rate limits and the audit log."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or os.environ.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from kernel.extensions import csrf, db, limiter, login_manager, migrate
    from kernel.i18n import init_babel

    db.init_app(app)
    with app.app_context():
        from kernel import begin
        from portal import db_liveness

        for engine in db.engines.values():
            db_liveness.install(engine)
            begin.install(engine)  # BEGIN in the same message as the transaction's first statement
    from portal import read_replica

    read_replica.install(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    login_manager.init_app(app)
    login_manager.login_view = "portal.login"
    login_manager.login_message = None
    csrf.init_app(app)
    from kernel.signed_cookies import init_signed_cookies

    init_signed_cookies(app)  # after CSRFProtect: its csrf_token() global is replaced
    limiter.init_app(app)
    from kernel.html_attributes import install as install_html_attributes

    install_html_attributes()  # WTForms' field attributes without Markup.format (same HTML)
    init_babel(app)
    from kernel.navigation import init_navigation

    init_navigation(app)
    from kernel.fragments import init_fragments

    init_fragments(app)  # the layout's parts that are the same for everyone in one language, kept per worker
    from portal.layout import init_layout

    init_layout(app)  # the layout's per-request values (after init_signed_cookies: its csrf_token)
    from tenants.roles import role_label

    app.jinja_env.globals["role_label"] = role_label
    from kernel.printing import init_printing

    init_printing(app)  # approval_labels() for the stamp block of print/sheet.html
    from tenants.auth import install_user_lookup  # (importing it registers the Flask-Login loaders)

    install_user_lookup()  # current_user without Flask-Login's proxy hops on every access
    from kernel.notifications.outbox import init_app as init_outbox

    init_outbox(app)  # mails of a request go out after its response (registered first, so it runs last)


def register_blueprints(app: Flask) -> None:
    from awards import bp as awards_bp
    from casebook import bp as casebook_bp
    from community import bp as community_bp
    from portal.api import init_api
    from portal.print_settings import bp as print_settings_bp
    from portal.profile import bp as profile_bp
    from portal.views import bp as portal_bp
    from procurement import bp as procurement_bp
    from support import bp as support_bp
    from tenants import bp as tenants_bp
    from tenants.sso.views import bp as sso_bp
    from workload import bp as workload_bp

    for blueprint in (portal_bp, profile_bp, print_settings_bp, tenants_bp, sso_bp, casebook_bp, procurement_bp,
                      awards_bp, workload_bp, community_bp, support_bp):
        app.register_blueprint(blueprint)
    init_api(app)  # the API blueprints the domains registered at import
    from portal.notification_views import init_app as init_notification_views

    init_notification_views(app)
    from portal.devmail import init_app as init_devmail

    init_devmail(app)  # development only: the mails caught by make run's SMTP sink


def register_lifecycle(app: Flask) -> None:
    from kernel.errors import register_error_handlers
    from portal.lifecycle import register_request_hooks
    from portal.logging import configure_logging

    configure_logging(app)
    register_request_hooks(app)
    from portal import metrics, role_check

    role_check.install(app)
    metrics.install(app)
    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from casebook.cli import register as register_casebook_cli
    from portal.cli import register as register_portal_cli
    from portal.notifications_cli import register as register_notifications_cli
    from portal.ops_cli import register as register_ops_cli
    from support.cli import register as register_support_cli
    from tenants.cli import register as register_tenant_cli
    from workload.cli import register as register_workload_cli

    for register in (register_portal_cli, register_tenant_cli, register_casebook_cli, register_workload_cli,
                     register_support_cli, register_ops_cli,
                     register_notifications_cli):
        register(app)


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"


@lru_cache(maxsize=1)
def migration_head() -> str:
    """The head revision(s) of the migrations in the code, as /readyz reports it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(_migrations_dir()))
    return ",".join(sorted(ScriptDirectory.from_config(cfg).get_heads()))
