"""Fixtures of the awards tests: the shared scenario, committed into the test's outer transaction."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel.extensions import db


@pytest.fixture
def in_app(app):  # type: ignore[no-untyped-def]
    """Run a function in an app context and make its writes visible to the test client's requests."""
    def _run(fn: Callable[[], Any]) -> Any:
        with app.app_context():
            result = fn()
            db.session.commit()  # releases the savepoint; the outer transaction is still rolled back
            db.session.remove()
        return result
    return _run


@pytest.fixture
def scenario(in_app):  # type: ignore[no-untyped-def]
    from tests.factories.awards import build

    return in_app(build)
