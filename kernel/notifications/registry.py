"""The one table of who is told of what: event kind → recipients rule → catalogue text.

A domain registers its events at import (``register_event``); ``notify(kind, ...)`` looks the kind
up here. ``docs/notifications.md`` lists the same table for people (a test keeps them in step).

Texts are message ids of the registering package's catalogue, with ``%(name)s`` placeholders filled
from the event's parameters, translated into each recipient's language when shown or mailed. Mark
them with ``N_`` so that ``make messages`` extracts them::

    from kernel.notifications import N_, people_in_param, register_event
    register_event("casebook.case_approved", people_in_param("author"),
                   N_("Your case “%(title)s” was approved"), catalogue="casebook")
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from kernel.notifications.directory import directory

TMG_CODE = "130001"

Recipient = tuple[str, int]  # (tenant_id, user_id)


@dataclass(frozen=True)
class HoldersOf:
    """Stands for "every active holder of ``role``" in a tenant, resolved by ``notify`` while that tenant is
    bound anyway (an invitation to all 62 municipalities then costs no extra bindings)."""

    role: Optional[str]  # None: everyone active in the tenant


def N_(message: str) -> str:  # noqa: N802 - the conventional name the extractor looks for
    """Mark a message id for extraction without translating it here (it is translated per recipient)."""
    return message


@dataclass(frozen=True)
class Recipients:
    """A recipients rule: how it reads in the table, and how it finds the people from an event's parameters."""

    describe: str
    # (tenant_id, user_id) pairs, or (tenant_id, HoldersOf(role)) for "everyone with the role there".
    resolve: Callable[[Mapping[str, Any]], list[Any]]


def role_in_tenant(role: str, tenant_param: str = "tenant_id") -> Recipients:
    """Every active holder of ``role`` in the municipality named by ``params[tenant_param]``."""
    def resolve(params: Mapping[str, Any]) -> list[Any]:
        return [(str(params[tenant_param]), HoldersOf(role))]
    return Recipients(f"role “{role}” of the municipality in `{tenant_param}`", resolve)


def everyone_in_tenant(tenant_param: str = "tenant_id") -> Recipients:
    """Every active person of the municipality named by ``params[tenant_param]``."""
    def resolve(params: Mapping[str, Any]) -> list[Any]:
        return [(str(params[tenant_param]), HoldersOf(None))]
    return Recipients(f"everyone in the municipality in `{tenant_param}`", resolve)


def tmg_role(role: str) -> Recipients:
    """Every active holder of ``role`` at TMG (curators, supporters, …)."""
    def resolve(params: Mapping[str, Any]) -> list[Any]:
        return [(TMG_CODE, HoldersOf(role))]
    return Recipients(f"role “{role}” at TMG", resolve)


def people_in_param(param: str) -> Recipients:
    """The people listed in ``params[param]``: one ``(tenant_id, user_id)`` pair or a list of them."""
    def resolve(params: Mapping[str, Any]) -> list[Recipient]:
        value = params.get(param)
        if not value:
            return []
        pairs = [value] if isinstance(value, tuple) or (isinstance(value, list) and value
                                                         and isinstance(value[0], str)) else value
        return [(str(t), int(u)) for t, u in pairs]
    return Recipients(f"the people in `{param}`", resolve)


def role_in_tenants(role: str, tenants_param: str = "tenants") -> Recipients:
    """Every active holder of ``role`` in each municipality listed in ``params[tenants_param]``."""
    def resolve(params: Mapping[str, Any]) -> list[Any]:
        return [(str(t), HoldersOf(role)) for t in params.get(tenants_param) or ()]
    return Recipients(f"role “{role}” of each municipality in `{tenants_param}`", resolve)


def role_in_every_municipality(role: str) -> Recipients:
    """Every active holder of ``role`` in every municipality (not TMG): an invitation to all 62."""
    def resolve(params: Mapping[str, Any]) -> list[Any]:
        return [(t, HoldersOf(role)) for t in directory().tenant_codes() if t != TMG_CODE]
    return Recipients(f"role “{role}” of every municipality", resolve)


def combine(*rules: Recipients) -> Recipients:
    """Everyone any of the rules names (each person once)."""
    def resolve(params: Mapping[str, Any]) -> list[Any]:
        seen: dict[Any, None] = {}
        for rule in rules:
            seen.update(dict.fromkeys(rule.resolve(params)))
        return list(seen)
    return Recipients(" + ".join(rule.describe for rule in rules), resolve)


@dataclass(frozen=True)
class EventKind:
    kind: str
    recipients: Recipients
    text: str  # message id in `catalogue`, with %(name)s placeholders
    catalogue: str  # the package whose catalogue translates `text`
    waiting: bool = False  # True: the recipients have something to do (it also shows under "waiting for you")


_events: dict[str, EventKind] = {}


def register_event(kind: str, recipients: Recipients, text: str, *, catalogue: str,
                   waiting: bool = False) -> EventKind:
    """Add an event kind to the table (idempotent for the same definition; a clash is a programming error)."""
    event = EventKind(kind, recipients, text, catalogue, waiting)
    existing = _events.get(kind)
    if existing is not None and (existing.text, existing.catalogue) != (text, catalogue):
        raise ValueError(f"notification event {kind!r} is registered twice with different texts")
    _events[kind] = event
    return event


def get_event(kind: str) -> EventKind:
    try:
        return _events[kind]
    except KeyError:
        raise KeyError(f"unknown notification event {kind!r}: register it with register_event") from None


def event_table() -> list[EventKind]:
    """Every registered event, sorted by kind (the table of docs/notifications.md)."""
    return [_events[k] for k in sorted(_events)]
