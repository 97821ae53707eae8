"""JSON API of support engagements (read-only) under /api/v1.

The caller sees exactly what the pages show them: a municipality its own engagements, TMG's support
desk the released ones (RLS decides, the same rules as access.can_see); everybody else an empty list
and 404 for any id.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from kernel.api import api_error, openapi, register_api_blueprint
from kernel.extensions import db
from support import access, queries
from support.models import Engagement
from tenants.auth import api_auth

bp = register_api_blueprint(Blueprint("support_api", __name__, url_prefix="/api/v1"))

ENGAGEMENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "municipality", "title", "theme", "release_state", "stage"],
    "properties": {
        "id": {"type": "integer"}, "municipality": {"type": "string"}, "title": {"type": "string"},
        "theme": {"type": "string"}, "department": {"type": "string"},
        "release_state": {"type": "string", "enum": ["draft", "proposed", "submitted"]},
        "stage": {"type": "string", "nullable": True}, "priority": {"type": "string", "nullable": True},
        "submitted_at": {"type": "string", "nullable": True}, "stage_entered_at": {"type": "string", "nullable": True},
        "supporters": {"type": "array", "items": {"type": "string"}},
    },
}
DETAIL_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "problem", "outcomes"],
    "properties": {**ENGAGEMENT_SCHEMA["properties"], "problem": {"type": "string"}, "plan": {"type": "string"},
                   "outcomes": {"type": "array", "items": {"type": "object", "properties": {
                       k: {"type": "string", "nullable": True} for k in (
                           "indicator", "label", "unit", "baseline_value", "baseline_on", "baseline_source",
                           "after_value", "after_on", "after_source")}}}},
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _json(e: Engagement, themes: dict[int, Any], supporters: list[str]) -> dict[str, Any]:
    theme = themes.get(e.theme_id)
    return {"id": e.id, "municipality": e.tenant_id, "title": e.title, "theme": theme.code if theme else "",
            "department": e.department, "release_state": e.release_state, "stage": e.stage, "priority": e.priority,
            "submitted_at": _iso(e.submitted_at), "stage_entered_at": _iso(e.stage_entered_at),
            "supporters": supporters}


def _visible() -> list[Engagement]:
    if access.is_desk(current_user):
        query = select(Engagement).where(Engagement.release_state == "submitted")
    elif access.can_request(current_user):
        query = select(Engagement).where(Engagement.tenant_id == current_user.tenant_id)
    else:
        return []
    return list(db.session.scalars(query.order_by(Engagement.id)))


@bp.get("/support/engagements")
@api_auth()
@openapi("Support engagements visible to the caller", tags=["support"], responses={"200": {
    "description": "The caller's municipality's engagements, or (TMG's support desk) the released ones",
    "content": {"application/json": {"schema": {"type": "object", "required": ["engagements"], "properties": {
        "engagements": {"type": "array", "items": ENGAGEMENT_SCHEMA}}}}}}})
def engagements() -> ResponseReturnValue:
    rows = _visible()
    themes = {t.id: t for t in queries.themes(active_only=False)}
    names = queries.supporters_by_engagement(rows)
    return jsonify({"engagements": [_json(e, themes, names.get((e.tenant_id, e.id), [])) for e in rows]})


@bp.get("/support/engagements/<int:engagement_id>")
@api_auth()
@openapi("One support engagement with its measured outcomes", tags=["support"], responses={"200": {
    "description": "The engagement", "content": {"application/json": {"schema": DETAIL_SCHEMA}}}})
def engagement(engagement_id: int) -> ResponseReturnValue:
    row = queries.get_engagement(engagement_id)
    if row is None or not access.can_see(current_user, row):
        return api_error(404, "支援案件が見つかりません。")
    themes = {t.id: t for t in queries.themes(active_only=False)}
    names = queries.supporters_by_engagement([row])
    outcomes = [{"indicator": o.indicator, "label": o.label, "unit": o.unit, "baseline_value": str(o.baseline_value),
                 "baseline_on": _iso(o.baseline_on), "baseline_source": o.baseline_source,
                 "after_value": None if o.after_value is None else str(o.after_value), "after_on": _iso(o.after_on),
                 "after_source": o.after_source} for o in queries.outcomes(row)]
    return jsonify({**_json(row, themes, names.get((row.tenant_id, row.id), [])), "problem": row.problem,
                    "plan": row.plan, "outcomes": outcomes})
