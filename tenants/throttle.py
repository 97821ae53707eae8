"""Counters shared by the workers: the rate limiter's storage (Redis when ``REDIS_URL`` is set, else
this process's memory), for the identity layer's own limits (failed API tokens, the SSO circuit
breaker) that do not fit a per-route Flask-Limiter decorator."""
from __future__ import annotations

import threading
from typing import Any

from flask import current_app

_lock = threading.Lock()
_storages: dict[str, Any] = {}


def storage() -> Any:
    """The ``limits`` storage of RATELIMIT_STORAGE_URI (process memory if it cannot be used)."""
    from limits.storage import MemoryStorage, storage_from_string

    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    with _lock:
        found = _storages.get(uri)
        if found is None:
            try:
                found = storage_from_string(uri)
            except Exception as error:  # noqa: BLE001 - e.g. REDIS_URL set but the redis client missing
                current_app.logger.warning("counter storage %s unusable (%s); using process memory",
                                           uri.split("@")[-1], type(error).__name__)
                found = MemoryStorage()
            _storages[uri] = found
    return found


def reset_all() -> None:
    """Forget every counter of this process's storages (tests)."""
    with _lock:
        for found in _storages.values():
            found.reset()
