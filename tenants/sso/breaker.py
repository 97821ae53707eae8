"""A circuit breaker per municipality in front of its identity provider.

When a fetch from a tenant's provider fails (timeout, refused address, oversized or broken answer),
the tenant's logins answer a 503 page at once for a while instead of each holding a worker for
the timeouts again: 30 s after the first failure, doubling with each further failure up to
5 minutes; one success closes it. At most one fetch per tenant runs at a time; a second login
arriving meanwhile gets the 503 page too (the fetch normally takes milliseconds).

Where the state lives: in the rate limiter's storage URI (``RATELIMIT_STORAGE_URI``), i.e. in
Redis when ``REDIS_URL`` is set (shared by every worker and host), else in each worker process's
memory (each worker then learns of a dead provider by itself, paying at most one timeout).
"""
from __future__ import annotations

import time
from typing import Any, Optional

from flask import current_app

BASE_SECONDS = 30
MAX_SECONDS = 300
FAILURE_MEMORY = 600  # failures older than this (without a new one) are forgotten

def _storage() -> Any:
    from tenants.throttle import storage

    return storage()


def _keys(tenant: str) -> tuple[str, str, str]:
    return (f"yokoten:sso-breaker:open:{tenant}", f"yokoten:sso-breaker:failures:{tenant}",
            f"yokoten:sso-breaker:inflight:{tenant}")


def _base_seconds() -> float:
    return float(current_app.config.get("SSO_BREAKER_SECONDS") or BASE_SECONDS)


def open_for(tenant: str) -> float:
    """Seconds the tenant's breaker stays open (0: closed, a login may try the provider)."""
    storage = _storage()
    open_key = _keys(tenant)[0]
    try:
        if storage.get(open_key) <= 0:
            return 0.0
        return max(1.0, storage.get_expiry(open_key) - time.time())
    except Exception:  # noqa: BLE001 - a storage outage must not block logins
        current_app.logger.warning("SSO circuit breaker: storage unavailable")
        return 0.0


def record_failure(tenant: str) -> float:
    """A fetch failed: open the breaker (30 s, doubling per further failure, at most 5 min); returns seconds."""
    storage = _storage()
    open_key, failures_key, _ = _keys(tenant)
    try:
        failures = storage.incr(failures_key, FAILURE_MEMORY)
        seconds = min(_base_seconds() * 2 ** max(0, failures - 1), float(MAX_SECONDS))
        storage.clear(open_key)
        storage.incr(open_key, seconds)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("SSO circuit breaker: storage unavailable")
        return 0.0
    return seconds


def record_success(tenant: str) -> None:
    storage = _storage()
    open_key, failures_key, _ = _keys(tenant)
    try:
        storage.clear(open_key)
        storage.clear(failures_key)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("SSO circuit breaker: storage unavailable")


def begin_fetch(tenant: str, seconds: float) -> bool:
    """Claim the tenant's one fetch slot (for ``seconds`` at most); False when another fetch holds it."""
    storage = _storage()
    try:
        if storage.incr(_keys(tenant)[2], seconds) > 1:
            return False
    except Exception:  # noqa: BLE001
        return True
    return True


def end_fetch(tenant: str) -> None:
    try:
        _storage().clear(_keys(tenant)[2])
    except Exception:  # noqa: BLE001
        pass


def reset(tenant: Optional[str] = None) -> None:
    """Close the breaker of one tenant, or every breaker of this process's memory (tests, the CLI)."""
    if tenant is not None:
        for key in _keys(tenant):
            _storage().clear(key)
        return
    from tenants.throttle import reset_all

    reset_all()
