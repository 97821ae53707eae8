"""The print layout's one setting per tenant: how many boxes the 回覧・決裁 stamp block has.

Municipalities circulate a document through different chains (起案 → 係長 → 課長 → 決裁, or longer);
every printable sheet (print/sheet.html) draws one block with the printing tenant's count, set by
its tenant admin on /admin/print. Tenant-owned, RLS like every other (migration 20261206_print_settings).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import db
from kernel.models_base import TenantOwned

DEFAULT_BOXES = 5
MIN_BOXES, MAX_BOXES = 2, 8
# first and last are always the drafter and the final approval; the middle fills from this list
_FIRST, _LAST = _l("Drafted by"), _l("Approval")
_MIDDLE = (_l("Reviewed by"), _l("Section chief"), _l("Division head"))


class PrintSettings(TenantOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "print_settings"
    __table_args__ = (CheckConstraint(f"approval_boxes BETWEEN {MIN_BOXES} AND {MAX_BOXES}",
                                      name="approval_boxes_range"),)

    approval_boxes: Mapped[int] = mapped_column(SmallInteger, server_default=str(DEFAULT_BOXES))


def box_count(tenant_id: str | None) -> int:
    if not tenant_id:
        return DEFAULT_BOXES
    row = db.session.get(PrintSettings, tenant_id)
    return row.approval_boxes if row is not None else DEFAULT_BOXES


def labels_for(count: int) -> list[str]:
    """Column labels of a block of ``count`` boxes: drafter, the usual reviewers, blank extras, approval."""
    count = max(MIN_BOXES, min(MAX_BOXES, count))
    middle = [str(label) for label in _MIDDLE[:count - 2]] + [""] * max(0, count - 2 - len(_MIDDLE))
    return [str(_FIRST), *middle, str(_LAST)]


def approval_labels() -> list[str]:
    """The stamp block of the person printing (their tenant's setting)."""
    tenant_id: Any = None
    if has_request_context():
        from flask_login import current_user

        tenant_id = getattr(current_user, "tenant_id", None) if current_user.is_authenticated else None
    return labels_for(box_count(tenant_id))


def init_printing(app: Flask) -> None:
    app.jinja_env.globals["approval_labels"] = approval_labels


def set_box_count(tenant_id: str, count: int) -> PrintSettings:
    """Set the tenant's stamp box count (the caller checked the permission); audited, never committed."""
    from kernel import audit

    if not MIN_BOXES <= count <= MAX_BOXES:
        raise ValueError("box count out of range")
    row = db.session.get(PrintSettings, tenant_id)
    before = row.approval_boxes if row is not None else DEFAULT_BOXES
    if row is None:
        row = PrintSettings(tenant_id=tenant_id, approval_boxes=count)
        db.session.add(row)
    row.approval_boxes = count
    db.session.flush()
    audit.record("print.settings", "print_settings", tenant_id, before={"approval_boxes": before},
                 after={"approval_boxes": count})
    return row
