"""JSON API of the casebook under /api/v1: search and read the casebook; read and write own cases.

Every input is checked strictly (types included): a wrong value is a 400 with a Japanese message,
never a 500.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from casebook import curation, queries, services, suggest
from casebook.models import CONTENT_FIELDS, Case, Entry
from casebook.validation import ContentError, from_json
from kernel.api import api_error, openapi, register_api_blueprint
from kernel.extensions import db
from kernel.numbers import parse_whole
from tenants.auth import api_auth
from tenants.models import Tenant
from tenants.roles import Permission

bp = register_api_blueprint(Blueprint("casebook_api", __name__, url_prefix="/api/v1"))

CONTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{n: {"type": "string"} for n in ("title", "summary", "problem", "approach", "outcomes", "department",
                                          "lessons", "replication_conditions", "contact", "successor_contact")},
        **{n: {"type": "array", "items": {"type": "string"}} for n in ("themes", "tools", "vendors", "products",
                                                                      "ordinances")},
        "fiscal_year": {"type": "integer", "nullable": True},
        "cost_jpy": {"type": "integer", "nullable": True, "minimum": 0},
        "stage": {"type": "string", "enum": ["idea", "pilot", "implemented", "spreading"]},
        "kpis": {"type": "array", "items": {"type": "object", "properties": {
            k: {"type": "string"} for k in ("name", "before", "after", "unit", "measured_on")}}},
    },
}
ERROR = {"description": "Invalid input",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _entry_json(entry: Entry, tenant: Tenant | None, **extra: Any) -> dict[str, Any]:
    return {"id": entry.id, "external_id": entry.external_id, "municipality": {
        "code": entry.source_tenant_id, "name": tenant.name_ja if tenant else None},
        **entry.content(), "status": entry.status, "adoption_count": entry.adoption_count,
        "published_at": entry.published_at.isoformat() if entry.published_at else None, **extra}


def _case_json(case: Case) -> dict[str, Any]:
    return {"id": case.id, "external_id": case.external_id, "version": case.version,
            "release_state": case.release_state, **case.content(),
            "updated_at": case.updated_at.isoformat() if case.updated_at else None}


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_whole(raw)
    if value is None or not (low <= value <= high):
        raise ContentError({name: f"{low}から{high}までの整数で指定してください。"})
    return value


@bp.get("/casebook/search")
@api_auth(Permission.CASEBOOK_READ)
@openapi("Search the published casebook (Japanese full text, facets as filters)", tags=["casebook"], parameters=[
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(queries.SORTS)}},
    *[{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("theme", "tool", "kind", "region", "stage")],
    {"name": "fiscal_year", "in": "query", "schema": {"type": "integer"}},
], responses={"200": {"description": "Hits, best first", "content": {"application/json": {"schema": {
    "type": "object", "required": ["total", "results"], "properties": {
        "total": {"type": "integer"}, "results": {"type": "array", "items": {"type": "object"}}}}}}},
    "400": ERROR})
def search_casebook() -> ResponseReturnValue:
    try:
        if len(request.args.get("q", "")) > 200:
            raise ContentError({"q": "検索語は200文字以内で指定してください。"})
        limit = _int_arg("limit", 20, 1, 100)
        filters, errors = queries.parse_filters(request.args)
        if errors:
            raise ContentError(errors)
    except ContentError as error:
        return api_error(400, error.message)
    result = queries.search_casebook(filters, per_page=limit, with_facets=False, with_snippets=True)
    suggestions = suggest.did_you_mean(filters.q) if filters.q.strip() and result.total == 0 else []
    return jsonify({"total": result.total, "total_is_capped": result.capped, "page": result.page,
                    "matched_all_words": not result.any_word, "did_you_mean": suggestions,
                    "pages": result.pages, "results": [
                        {"id": h.entry.id, "external_id": h.entry.external_id, "title": h.entry.title,
                         "summary": h.entry.summary, "municipality": {"code": h.entry.source_tenant_id,
                                                                      "name": h.tenant.name_ja if h.tenant else None},
                         "fiscal_year": h.entry.fiscal_year, "stage": h.entry.stage, "themes": h.entry.themes,
                         "tools": h.entry.tools, "adoption_count": h.entry.adoption_count,
                         "score": round(h.rank, 6),
                         "snippet": "".join(f"<<{p}>>" if hit else p for p, hit in h.snippet),
                         # Query words this case matched only through a synonym, and the thesaurus layer.
                         "matched_through_synonyms": [{"word": m.word, "found": m.found, "layer": m.layer}
                                                      for m in h.synonyms]}
                        for h in result.hits]})


@bp.get("/casebook/<int:entry_id>")
@api_auth(Permission.CASEBOOK_READ)
@openapi("Read a published casebook entry", tags=["casebook"])
def read_entry(entry_id: int) -> ResponseReturnValue:
    entry = curation.get_entry(entry_id)
    if entry is None or entry.status != "published":
        return api_error(404, "事例が見つかりません。")
    tenant = db.session.get(Tenant, entry.source_tenant_id)
    return jsonify(_entry_json(entry, tenant))


@bp.get("/cases")
@api_auth(Permission.CASES_READ_OWN)
@openapi("List or search the own municipality's cases", tags=["cases"], parameters=[
    {"name": "q", "in": "query", "schema": {"type": "string"}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}])
def list_cases() -> ResponseReturnValue:
    try:
        page = _int_arg("page", 1, 1, 100000)
    except ContentError as error:
        return api_error(400, error.message)
    result = queries.search_own_cases(current_user.tenant_id, request.args.get("q", "")[:200], page)
    return jsonify({"total": result.total, "page": result.page, "pages": result.pages,
                    "results": [_case_json(h.entry) for h in result.hits]})


def _body() -> Any:
    if not request.is_json:
        raise ContentError({"body": "Content-Type: application/json の JSON を送ってください。"})
    body = request.get_json(silent=True)
    if body is None:
        raise ContentError({"body": "JSON として読めません。"})
    return body


CASE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "release_state", "title"],
    "properties": {**CONTENT_SCHEMA["properties"], "id": {"type": "integer"},
                   "external_id": {"type": "string", "nullable": True}, "version": {"type": "integer"},
                   "release_state": {"type": "string"}, "updated_at": {"type": "string", "nullable": True}},
}


@bp.post("/cases")
@api_auth(Permission.CASES_WRITE_OWN)
@openapi("Create a case in the own municipality", tags=["cases"],
         request_body={"required": True, "content": {"application/json": {"schema": {
             **CONTENT_SCHEMA, "required": ["title"],
             "properties": {**CONTENT_SCHEMA["properties"], "external_id": {"type": "string", "maxLength": 100}}}}}},
         responses={"201": {"description": "Created",
                            "headers": {"Location": {"description": "URL of the new case",
                                                     "schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": CASE_SCHEMA}}},
                    "400": ERROR})
def create_case() -> ResponseReturnValue:
    try:
        body = _body()
        content = from_json(body)
        external_id = body.get("external_id")
        if external_id is not None and (not isinstance(external_id, str) or not 0 < len(external_id) <= 100):
            raise ContentError({"external_id": "100文字以内の文字列で指定してください。"})
        if "version" in body:
            raise ContentError({"version": "作成時に版は指定できません。"})
        if external_id is not None and db.session.scalar(select(Case.id).where(
                Case.tenant_id == current_user.tenant_id, Case.external_id == external_id)) is not None:
            raise ContentError({"external_id": "この外部IDはすでに使われています。"})
        case = services.create_case(current_user.tenant_id, current_user.id, content, external_id=external_id)
    except ContentError as error:
        return api_error(400, error.message, fields=error.errors)
    response = jsonify(_case_json(case))
    response.status_code = 201
    response.headers["Location"] = url_for("casebook_api.read_case", case_id=case.id)
    return response


@bp.get("/cases/<int:case_id>")
@api_auth(Permission.CASES_READ_OWN)
@openapi("Read a case of the own municipality", tags=["cases"], responses={
    "200": {"description": "The case", "content": {"application/json": {"schema": CASE_SCHEMA}}}})
def read_case(case_id: int) -> ResponseReturnValue:
    case = services.get_case(current_user.tenant_id, case_id)
    if case is None:
        return api_error(404, "事例が見つかりません。")
    return jsonify(_case_json(case))


@bp.put("/cases/<int:case_id>")
@api_auth(Permission.CASES_WRITE_OWN)
@openapi("Update a case (send the version you read; 409 when it changed meanwhile)", tags=["cases"],
         request_body={"required": True, "content": {"application/json": {"schema": {
             **CONTENT_SCHEMA, "required": ["version"],
             "properties": {**CONTENT_SCHEMA["properties"], "version": {"type": "integer"}}}}}},
         responses={"200": {"description": "Saved", "content": {"application/json": {"schema": CASE_SCHEMA}}},
                    "400": ERROR, "409": ERROR})
def update_case(case_id: int) -> ResponseReturnValue:
    case = services.get_case(current_user.tenant_id, case_id)
    if case is None:
        return api_error(404, "事例が見つかりません。")
    try:
        body = _body()
        if not isinstance(body, dict):
            raise ContentError({"body": "JSON オブジェクトを送ってください。"})
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ContentError({"version": "読み込んだ版（整数）を version で指定してください。"})
        if "external_id" in body:
            raise ContentError({"external_id": "外部IDは変更できません。"})
        content = from_json(body, base={k: case.content()[k] for k in CONTENT_FIELDS})
        services.update_case(case, current_user.id, content, version)
    except ContentError as error:
        return api_error(400, error.message, fields=error.errors)
    except services.StaleVersion as error:
        return api_error(409, error.message, current_version=error.current)
    return jsonify(_case_json(case))
