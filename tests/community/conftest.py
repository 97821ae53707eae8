"""Fixtures of the community tests: the shared forum scenario, committed into the test's outer transaction."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel.extensions import db


@pytest.fixture
def in_app(app):  # type: ignore[no-untyped-def]
    def _run(fn: Callable[[], Any]) -> Any:
        with app.app_context():
            result = fn()
            db.session.commit()  # releases the savepoint; the outer transaction is still rolled back
            db.session.remove()
        return result
    return _run


@pytest.fixture
def forum(in_app):  # type: ignore[no-untyped-def]
    from tests.community.scenario import build

    return in_app(build)
