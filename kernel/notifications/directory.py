"""What the notifications need to know about people, asked through a hook the tenants layer installs.

The kernel sits below ``tenants`` and may not import it; ``tenants.directory`` implements this
protocol and calls :func:`install` at import. A test or a CLI without the tenants layer gets a clear
error instead of a silent "nobody to notify".
"""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Optional, Protocol


@dataclass(frozen=True)
class Person:
    tenant_id: str
    id: int
    email: str
    display_name: str


class Directory(Protocol):
    def bound(self, tenant_id: str) -> AbstractContextManager[None]:
        """Bind a tenant (for RLS) for the block, then restore the previous binding."""

    def active_people(self, tenant_id: str, user_ids: Iterable[int]) -> list[Person]:
        """The active people among the ids, in that tenant (inactive and unknown ones left out)."""

    def role_holders(self, tenant_id: str, role: Optional[str]) -> list[int]:
        """Ids of the active people of the tenant who hold the role (everyone active when role is None)."""

    def tenant_codes(self) -> list[str]:
        """Every tenant's code (the outbox worker visits each under its own binding)."""

    def tenant_name(self, tenant_id: str, lang: str) -> str:
        """The tenant's name in a language (for mail texts)."""


_directory: Optional[Directory] = None


def install(directory: Directory) -> None:
    global _directory
    _directory = directory


def directory() -> Directory:
    if _directory is None:
        raise RuntimeError("No people directory installed: import tenants (tenants.directory) first.")
    return _directory
