"""Fixtures of the awards tests: the shared scenario, committed into the test's outer transaction."""
from __future__ import annotations

import pytest


@pytest.fixture
def scenario(in_app):  # type: ignore[no-untyped-def]
    from tests.factories.awards import build

    return in_app(build)
