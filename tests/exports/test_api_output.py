"""A readable, exact API (issue 18.4): UTF-8 JSON, strict types, a complete and valid OpenAPI document,
Location on 201, messages that name a field once and in Japanese."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from kernel.extensions import db
from tenants.tokens import create_token
from tests.factories.tenants import user_of


@pytest.fixture
def headers(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = user_of("132055", "member@ome.example.jp")
        _row, text = create_token(user, "api-output-test")
        db.session.commit()
        db.session.remove()
    return {"Authorization": f"Bearer {text}"}


def test_the_openapi_document_is_valid_and_complete(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)  # openapi-spec-validator: raises on any violation of the OpenAPI 3.0 schema
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert {"status", "message", "fields", "current_version"} <= set(error)
    create = doc["paths"]["/api/v1/cases"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["title"]
    assert "Location" in create["responses"]["201"]["headers"]


def test_json_is_utf8_without_escapes(client, headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert "\\u" not in response.get_data(as_text=True)
    search = client.get("/api/v1/casebook/search?q=窓口&limit=1", headers=headers)
    assert "窓口".encode() in search.data and b"\\u" not in search.data


def test_created_case_has_a_location(client, headers) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/cases", json={"title": "API から作成", "stage": "pilot"}, headers=headers)
    assert response.status_code == 201
    case_id = response.get_json()["id"]
    assert response.headers["Location"].endswith(f"/api/v1/cases/{case_id}")
    assert client.get(response.headers["Location"], headers=headers).get_json()["title"] == "API から作成"


@pytest.mark.parametrize(("body", "field", "expected"), [
    ({"title": "x", "kpis": [{"name": 1}]}, "kpis", "KPIの各項目（name, before, after, unit, measured_on）は文字列で"),
    ({"title": "x", "stage": "done"}, "stage", "段階は idea / pilot / implemented / spreading のいずれか"),
    ({"title": "x", "fiscal_year": "2024"}, "fiscal_year", "年度: 整数（または null）で指定してください。"),
    ({"title": "x", "themes": "窓口"}, "themes", "テーマ: 文字列の配列で指定してください。"),
    ([1, 2], "body", "JSON オブジェクトを送ってください。"),
])
def test_strict_types_and_messages_naming_the_field_once(client, headers, body, field,  # type: ignore[no-untyped-def]
                                                          expected) -> None:
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert expected in error["message"]
    assert field in error["fields"]
    assert "body:" not in error["message"] and "段階: 段階" not in error["message"]
    label = expected.split(":")[0].split("は")[0]
    assert error["message"].count(label) == 1, error["message"]
