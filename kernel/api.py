"""JSON API plumbing under /api/v1: the blueprint registry, JSON errors, an OpenAPI 3 document from the code.

Each domain defines its own blueprint (url_prefix "/api/v1") and hands it to
``register_api_blueprint``; the app factory registers them all, exempt from the form CSRF check
(token calls carry no cookie). Who may call is decided by ``tenants.auth.api_auth`` (the identity
layer); a browser session may call the API too, its writes still need the CSRF token.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from flask import Blueprint, Flask, Response, jsonify

F = TypeVar("F", bound=Callable[..., Any])
API_BLUEPRINTS: list[Blueprint] = []
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def register_api_blueprint(blueprint: Blueprint) -> Blueprint:
    """Called by a domain package at import; the app factory registers every listed blueprint."""
    if blueprint not in API_BLUEPRINTS:
        API_BLUEPRINTS.append(blueprint)
    return blueprint


def api_error(status: int, message: str, **extra: Any) -> Response:
    """A JSON error: {"error": {"status": 400, "message": "..."}}."""
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    return response


def openapi(summary: str, *, parameters: Optional[list[dict]] = None, request_body: Optional[dict] = None,
            responses: Optional[dict] = None, tags: Optional[list[str]] = None) -> Callable[[F], F]:
    """Describe an API view for /api/v1/openapi.json (stored on the function, read at request time)."""
    def decorator(view: F) -> F:
        view._openapi = {  # type: ignore[attr-defined]
            "summary": summary, "parameters": parameters or [], "requestBody": request_body,
            "responses": responses or {"200": {"description": "OK"}}, "tags": tags or [],
        }
        return view
    return decorator


_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_TYPES = {"int": {"type": "integer"}, "string": {"type": "string"}, None: {"type": "string"},
          "path": {"type": "string"}, "uuid": {"type": "string", "format": "uuid"}}

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string", "description": "日本語のメッセージ（各項目名は一度だけ）"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "項目名 → その項目のメッセージ（入力エラーのとき）"},
        "current_version": {"type": "integer", "description": "現在の版（409 のとき）"}}}},
}


def build_openapi(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every documented route under /api/v1."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        spec = getattr(view, "_openapi", None)
        if spec is None:
            continue
        path_params = []
        for converter, name in _CONVERTER.findall(rule.rule):
            path_params.append({"name": name, "in": "path", "required": True,
                                "schema": _TYPES.get(converter or None, {"type": "string"})})
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            responses = {**spec["responses"]}
            # Every operation can answer these (wrong input, unknown or hidden object, no login, no
            # permission); documented once here so that each domain's responses conform to the document.
            for status, text in (("400", "Invalid input"), ("401", "Not authenticated"), ("403", "Not permitted"),
                                 ("404", "Not found (or not visible to the caller)")):
                responses.setdefault(status, {"description": text,
                                              "content": {"application/json": {"schema": ERROR_SCHEMA}}})
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": spec["summary"],
                "tags": spec["tags"],
                "parameters": path_params + spec["parameters"],
                "responses": responses,
            }
            if spec["requestBody"] and method in MUTATING:
                operation["requestBody"] = spec["requestBody"]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Yokoten API", "version": "1.0.0",
                 "description": "横展開ポータルの API。個人用アクセストークンを Authorization: Bearer で送ります。"},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"bearerAuth": []}],
        "paths": paths,
    }
