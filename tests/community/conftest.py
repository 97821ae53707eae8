"""Fixtures of the community tests: the shared forum scenario, committed into the test's outer transaction."""
from __future__ import annotations

import pytest


@pytest.fixture
def forum(in_app):  # type: ignore[no-untyped-def]
    from tests.factories.community import build

    return in_app(build)
