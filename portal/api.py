"""The API's own routes (/api/v1/openapi.json, /api/v1/me) and the registration of every domain's API blueprint."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kernel.api import API_BLUEPRINTS, build_openapi, openapi, register_api_blueprint
from kernel.extensions import csrf
from tenants.auth import api_auth

core = Blueprint("api", __name__, url_prefix="/api/v1")


@core.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(with_token_scopes(build_openapi(current_app)))


def with_token_scopes(document: dict) -> dict:
    """Name the token scope each operation needs (``x-token-scope``) and list the scopes in the scheme.

    OpenAPI 3.0 gives a bearer scheme no scopes of its own, hence the extension field.
    """
    from tenants.tokens import SCOPES, required_scope

    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    scheme["description"] = ("個人用アクセストークン（プロフィール画面で作成、/api/v1 でのみ有効）。"
                             "スコープ: " + ", ".join(SCOPES) + "。各操作に必要なスコープは x-token-scope。")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            needed = required_scope(path, method)
            if needed is not None:
                operation["x-token-scope"] = needed
                responses = operation.setdefault("responses", {})
                responses.setdefault("429", {"description": "Too many failed token attempts from this address"})
    return document


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
def me() -> ResponseReturnValue:
    return jsonify({"email": current_user.email, "display_name": current_user.display_name,
                    "tenant": current_user.tenant_id, "roles": sorted(current_user.roles)})


def init_api(app: Flask) -> None:
    # JSON bodies in UTF-8 as they are (「青梅市」, not \u9752\u6885\u5e02): readable in curl and logs.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    from tenants.auth import refuse_misplaced_token

    app.before_request(refuse_misplaced_token)  # bearer tokens act on /api/v1 only
    register_api_blueprint(core)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
