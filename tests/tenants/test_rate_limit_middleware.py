"""Flask-Limiter's check before every request runs only when a limit needs it (issue 25.5).

The portal's limits are on routes (the SSO views, by decorator), which check their own limits when they
run; the middleware check enforces only default, application, meta and blueprint limits. The portal drops
it when none exists (some 280 function calls on every page) and keeps it as soon as one does.
tests/sso/test_settings.py::test_rate_limits_per_ip_and_per_tenant shows the route limits still answer 429.
"""
from __future__ import annotations

from flask import Flask

from kernel.extensions import limiter
from portal.app import skip_limiter_middleware_without_limits


def _has_middleware_check(app: Flask) -> bool:
    return limiter._check_request_limit in app.before_request_funcs.get(None, [])


def test_the_portal_has_no_middleware_check_without_such_limits(app: Flask) -> None:
    assert not limiter.limit_manager.default_limits and not limiter.limit_manager.application_limits
    assert not _has_middleware_check(app)


def test_an_application_or_default_limit_keeps_the_middleware_check() -> None:
    from flask_limiter.wrappers import LimitGroup

    manager = limiter.limit_manager
    for setter, getter in ((manager.set_application_limits, "_application_limits"),
                           (manager.set_default_limits, "_default_limits")):
        saved = getattr(manager, getter)
        probe = Flask("probe")
        probe.before_request(limiter._check_request_limit)
        try:
            setter([LimitGroup("100/minute", key_function=lambda: "k")])
            skip_limiter_middleware_without_limits(probe)
            assert _has_middleware_check(probe), getter
        finally:
            setattr(manager, getter, saved)
        skip_limiter_middleware_without_limits(probe)
        assert not _has_middleware_check(probe)


def test_a_limited_blueprint_keeps_the_middleware_check() -> None:
    from flask import Blueprint

    manager = limiter.limit_manager
    saved = dict(manager._blueprint_limits)
    probe = Flask("probe")
    probe.before_request(limiter._check_request_limit)
    try:
        limiter.limit("10/minute")(Blueprint("limited_probe", __name__))
        skip_limiter_middleware_without_limits(probe)
        assert _has_middleware_check(probe)
    finally:
        manager._blueprint_limits.clear()
        manager._blueprint_limits.update(saved)
