"""Append-only audit log written for every write, login and denied access.

The application role may INSERT and SELECT (its own tenant's rows, under RLS) and can neither
UPDATE nor DELETE: the grant in the migration says so and tests/test_audit.py proves it.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional, Union, cast

from flask import g, has_request_context, request
from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    String,
    Table,
    Text,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import Model, db

# Who is acting is known to the tenant binding (tenants.context), which sits above the kernel; it
# hands its reader over when it is imported (use_binding), so an entry written without explicit ids
# gets the bound tenant and user. Importing the app always imports tenants.context (its transaction
# hook is what makes RLS work at all); without it an entry could not say who wrote it, so it refuses.
BindingReader = Callable[[], tuple[Optional[str], Optional[int]]]
_binding: Optional[BindingReader] = None


def use_binding(reader: BindingReader) -> None:
    """Called once by tenants.context: how to read the bound (tenant_id, user_id)."""
    global _binding
    _binding = reader


def _bound() -> tuple[Optional[str], Optional[int]]:
    if _binding is None:
        raise RuntimeError("kernel.audit: no tenant binding registered (import tenants.context first)")
    return _binding()


class AuditEntry(Model):
    """One audited event. tenant_id is NULL only for events before any tenant is known."""

    __tablename__ = "audit_log"
    # No RETURNING: a row written before any tenant is known passes WITH CHECK but not USING.
    __table_args__ = {"implicit_returning": False}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_id: Mapped[Optional[str]] = mapped_column(String(6), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[Optional[str]] = mapped_column(String(60))
    object_id: Mapped[Optional[str]] = mapped_column(String(120))
    before: Mapped[Optional[dict]] = mapped_column(JSONB)
    after: Mapped[Optional[dict]] = mapped_column(JSONB)
    ip: Mapped[Optional[str]] = mapped_column(INET)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def _entry(action: str, object_type: Optional[str], object_id: Any, before: Any, after: Any,
           tenant_id: Optional[str], user_id: Optional[int]) -> dict[str, Any]:
    if tenant_id is None or user_id is None:
        bound_tenant, bound_user = _bound()
        tenant_id = tenant_id if tenant_id is not None else bound_tenant
        user_id = user_id if user_id is not None else bound_user
    return dict(
        tenant_id=tenant_id,
        user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_jsonable(before),
        after=_jsonable(after),
        ip=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
    )


def record(action: str, object_type: Optional[str] = None, object_id: Any = None, *,
           before: Any = None, after: Any = None, tenant_id: Optional[str] = None,
           user_id: Optional[int] = None) -> None:
    """Append an audit entry in the current transaction (committed with the request's writes)."""
    _insert(_entry(action, object_type, object_id, before, after, tenant_id, user_id))


def _insert(values: dict[str, Any]) -> None:
    # A Core INSERT without RETURNING: an entry written before any tenant is known (tenant_id
    # NULL) passes the WITH CHECK policy but could not be read back through RETURNING.
    db.session.connection().execute(insert(cast(Table, AuditEntry.__table__)).values(**values))


def record_always(action: str, object_type: Optional[str] = None, object_id: Any = None, *,
                  before: Any = None, after: Any = None, tenant_id: Optional[str] = None,
                  user_id: Optional[int] = None) -> None:
    """Record an event that must survive the request's rollback (denied access, failed login)."""
    pending = g.setdefault("audit_always", [])
    pending.append(dict(action=action, object_type=object_type, object_id=object_id, before=before,
                        after=after, tenant_id=tenant_id, user_id=user_id))


def flush_always() -> None:
    """Write the events queued by record_always in their own transaction (called at request end)."""
    pending = g.pop("audit_always", [])
    if not pending:
        return
    for item in pending:
        _insert(_entry(**item))
    db.session.commit()


# The audit log page names an entry's object by its title and links it to its page. The package that owns an
# object type says how (kernel knows no domain): a resolver takes the viewer and the ids of one type on the
# page and answers either at once, without the database ({id: (title, url or None)}, e.g. a label), or with an
# ObjectQuery — a statement of (object_id, title, extra) read as the viewer under RLS and how to finish a row
# into (title, url) or None. The ObjectQuery statements of every type on the page are sent as ONE statement
# (UNION ALL), so the page costs one statement for its objects however many types and rows it shows. An
# object the viewer may not see stays unnamed, and the url is None where the viewer may not open the page.
Named = dict[str, tuple[str, Optional[str]]]


@dataclass(frozen=True)
class ObjectQuery:
    """A resolver's statement (built with ``object_rows``) and what a row of it becomes."""

    statement: Any
    finish: Callable[[Any], Optional[tuple[str, Optional[str]]]]


ObjectResolver = Callable[[Any, Any], Union[Named, ObjectQuery, list[ObjectQuery]]]
# object type → (resolver, whether it takes the page's ids as whole numbers)
_object_resolvers: dict[str, tuple[ObjectResolver, bool]] = {}


def object_rows(object_id: Any, title: Any, extra: Any = None) -> Any:
    """``select(object_id, title, extra)`` as text columns, the shape every resolver's statement shares."""
    return select(sql_cast(object_id, Text).label("object_id"), sql_cast(title, Text).label("title"),
                  sql_cast(extra if extra is not None else null(), Text).label("extra"))


def register_object_resolver(object_type: str, resolver: ObjectResolver, *, numeric: bool = False) -> None:
    """Called at import by the package that owns ``object_type`` (e.g. tenants for "user"). With ``numeric``,
    the resolver gets the page's ids that are whole numbers (``numeric_ids``) and is not called when there are
    none; otherwise it gets the ids as written."""
    _object_resolvers[object_type] = (resolver, numeric)


def resolvable_object_types() -> frozenset[str]:
    """The object types some package can name (tests/tenants/test_audit_objects.py: every type written has one)."""
    return frozenset(_object_resolvers)


def numeric_ids(ids: list[str]) -> list[int]:
    """The ids that are whole numbers: an entry's object_id is text, and a refused probe may carry anything."""
    return [int(i) for i in ids if i.isdigit() and len(i) < 19]


def tenant_scoped_ids(viewer_tenant: str, ids: list[str]) -> dict[str, int]:
    """Ids written as ``<tenant>:<id>`` (or a bare ``<id>``) that belong to the viewer's tenant, by the id as
    written: another tenant's ``<tenant>:<id>`` is left out before any statement is sent."""
    found: dict[str, int] = {}
    for written in ids:
        tenant, _sep, number = written.rpartition(":")
        if tenant in ("", viewer_tenant) and number.isdigit() and len(number) < 19:
            found[written] = int(number)
    return found


def resolve_objects(viewer: Any, objects: list[tuple[Optional[str], Optional[str]]]
                    ) -> dict[tuple[str, str], tuple[str, Optional[str]]]:
    """(object_type, object_id) → (title, url) for the objects a resolver knows and the viewer may see."""
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in objects:
        if object_type and object_id and object_type in _object_resolvers:
            by_type.setdefault(object_type, [])
            if object_id not in by_type[object_type]:
                by_type[object_type].append(object_id)
    found: dict[tuple[str, str], tuple[str, Optional[str]]] = {}
    queries: list[tuple[str, ObjectQuery]] = []
    for object_type, ids in by_type.items():
        resolver, numeric = _object_resolvers[object_type]
        keys: Any = numeric_ids(ids) if numeric else ids
        if not keys:
            continue
        answer = resolver(viewer, keys)
        if isinstance(answer, dict):
            found.update({(object_type, object_id): named for object_id, named in answer.items()})
        else:
            queries += [(object_type, q) for q in (answer if isinstance(answer, list) else [answer])]
    if queries:
        tagged = [q.statement.add_columns(literal(str(n)).label("query")) for n, (_t, q) in enumerate(queries)]
        statement: Any = tagged[0] if len(tagged) == 1 else union_all(*tagged)
        for row in db.session.execute(statement):
            object_type, query = queries[int(row.query)]
            named = query.finish(row)
            if named is not None and row.object_id is not None:
                found[(object_type, row.object_id)] = named
    return found
