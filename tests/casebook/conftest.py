"""Fixtures of the casebook tests (factories: tests/factories/casebook.py and tenants.py)."""
from __future__ import annotations

import pytest

from tests.factories.tenants import user_of


@pytest.fixture
def ome_member(app_ctx):  # type: ignore[no-untyped-def]
    return user_of("132055", "member@ome.example.jp")
