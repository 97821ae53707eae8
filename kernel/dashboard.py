"""Home dashboard figures. Each domain registers a provider of its own tenant-scoped figures."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: Optional[str] = None


FigureProvider = Callable[[Any], list[Figure]]
_providers: list[FigureProvider] = []


def register_figures(provider: FigureProvider) -> FigureProvider:
    """Decorator: add a function(user) -> [Figure] to the home dashboard."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def figures_for(user: Any) -> list[Figure]:
    result: list[Figure] = []
    for provider in _providers:
        result.extend(provider(user))
    return result
