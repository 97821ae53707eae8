"""JSON API plumbing under /api/v1: authentication, errors, and an OpenAPI 3 document from the code.

Each domain defines its own blueprint (url_prefix "/api/v1") and hands it to
``register_api_blueprint``; the app factory registers them all, exempt from the form CSRF check
(token calls carry no cookie). A browser session may call the API too; its writes still need the
CSRF token (checked in ``api_auth``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, Optional, TypeVar

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask_login import current_user

from portal import audit
from portal.extensions import csrf
from tenants.roles import Permission

F = TypeVar("F", bound=Callable[..., Any])
API_BLUEPRINTS: list[Blueprint] = []
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

core = Blueprint("api", __name__, url_prefix="/api/v1")


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


def _bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def load_user_from_token(_request: Any) -> Any:
    """Flask-Login request loader hook: the user of a valid bearer token (or None)."""
    token = _bearer_token()
    if token is None:
        return None
    from portal.tokens import authenticate

    user = authenticate(token)
    if user is None:
        g.api_token_invalid = True
        audit.record_always("auth.token_refused", "api_token", token[:14] if token.startswith("yk_") else None)
    else:
        g.api_token_user = True
    return user


def api_auth(permission: Optional[Permission] = None) -> Callable[[F], F]:
    """Require a logged-in user (token or session) and optionally a permission; JSON 401/403."""
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            authenticated = current_user.is_authenticated  # runs the loaders (token first)
            if g.get("api_token_invalid"):
                return api_error(401, "アクセストークンが無効です。")
            if not authenticated:
                return api_error(401, "ログインするか、アクセストークンを指定してください。")
            if request.method in MUTATING and not g.get("api_token_user"):
                csrf.protect()  # a browser session writing through the API still needs the CSRF token
            if permission is not None and not current_user.can(permission):
                audit.record_always("access.denied", "permission", permission.value)
                return api_error(403, "この操作を行う権限がありません。")
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


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
    "properties": {"error": {"type": "object", "required": ["status", "message"],
                             "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}},
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


@core.get("/openapi.json")
def openapi_document():  # type: ignore[no-untyped-def]
    return jsonify(build_openapi(current_app))


@core.get("/me")
@api_auth()
@openapi("The caller: user, tenant and roles", tags=["account"], responses={"200": {
    "description": "The authenticated user",
    "content": {"application/json": {"schema": {"type": "object", "required": ["email", "tenant", "roles"],
                                                "properties": {"email": {"type": "string"},
                                                               "display_name": {"type": "string"},
                                                               "tenant": {"type": "string"},
                                                               "roles": {"type": "array",
                                                                         "items": {"type": "string"}}}}}}}})
def me():  # type: ignore[no-untyped-def]
    return jsonify({"email": current_user.email, "display_name": current_user.display_name,
                    "tenant": current_user.tenant_id, "roles": sorted(current_user.roles)})


def init_api(app: Flask) -> None:
    app.extensions["yokoten_token_loader"] = load_user_from_token
    register_api_blueprint(core)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
