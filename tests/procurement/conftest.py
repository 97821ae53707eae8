"""Fixtures of the procurement tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def ctx(app_ctx):  # type: ignore[no-untyped-def]
    """An application context for calling the services directly (rolled back after the test)."""
    return app_ctx
