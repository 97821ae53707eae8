"""The casebook JSON API with personal access tokens: search, read, write own cases, strict input."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.extensions import db
from tenants.tokens import create_token
from tests.factories.tenants import user_of


@pytest.fixture
def token(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = user_of("132055", "member@ome.example.jp")
        _row, text = create_token(user, "api-test")
        db.session.commit()
        db.session.remove()
    return text


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_search_returns_hits_with_external_id(client, token) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/casebook/search?q=書かない窓口&limit=5", headers=_h(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["results"][0]["external_id"] == "case-001" and len(body["results"]) <= 5
    assert "<<" in body["results"][0]["snippet"]
    entry = client.get(f"/api/v1/casebook/{body['results'][0]['id']}", headers=_h(token)).get_json()
    assert entry["title"] and entry["municipality"]["code"] == "132055"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "limit=-1", "page=0", "sort=x",
                                   "fiscal_year=abc", "q=" + "あ" * 201])
def test_search_rejects_bad_parameters_with_400(client, token, query) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/casebook/search?{query}", headers=_h(token))
    assert response.status_code == 400 and response.get_json()["error"]["message"]


def test_create_read_update_and_409(client, token) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/cases", headers=_h(token), json={
        "title": "API の事例", "themes": ["窓口改革"], "fiscal_year": 2025, "cost_jpy": 120000, "stage": "pilot",
        "kpis": [{"name": "待ち時間", "before": "30", "after": "10", "unit": "分", "measured_on": "2025-06-01"}]})
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert case["version"] == 1 and case["kpis"][0]["name"] == "待ち時間"
    updated = client.put(f"/api/v1/cases/{case['id']}", headers=_h(token), json={"summary": "更新", "version": 1})
    assert updated.status_code == 200 and updated.get_json()["version"] == 2
    assert updated.get_json()["title"] == "API の事例"  # fields not sent are kept
    stale = client.put(f"/api/v1/cases/{case['id']}", headers=_h(token), json={"summary": "古い版", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["error"]["current_version"] == 2
    assert client.get(f"/api/v1/cases/{case['id']}", headers=_h(token)).get_json()["summary"] == "更新"
    with_id = client.post("/api/v1/cases", headers=_h(token), json={"title": "外部ID付き", "external_id": "ext-1"})
    assert with_id.status_code == 201
    duplicate = client.post("/api/v1/cases", headers=_h(token), json={"title": "二重", "external_id": "ext-1"})
    assert duplicate.status_code == 400 and "外部ID" in duplicate.get_json()["error"]["message"]
    listing = client.get("/api/v1/cases?q=API", headers=_h(token)).get_json()
    assert any(item["id"] == case["id"] for item in listing["results"])


BAD_BODIES: list[Any] = [
    {"stage": [None, None]}, {"title": None}, {"title": 123}, {"title": ["a"]}, {"title": "x", "themes": "窓口"},
    {"title": "x", "themes": [1, 2]}, {"title": "x", "fiscal_year": "2024"}, {"title": "x", "fiscal_year": 2024.5},
    {"title": "x", "fiscal_year": True}, {"title": "x", "cost_jpy": -1}, {"title": "x", "cost_jpy": 10**20},
    {"title": "x", "kpis": "a"}, {"title": "x", "kpis": [1]}, {"title": "x", "kpis": [{"name": ["x"]}]},
    {"title": "x", "kpis": [{"name": "a", "measured_on": "yesterday"}]}, {"title": "x", "stage": "finished"},
    {"title": "x", "unknown": 1}, {"title": "x", "external_id": 5}, {"title": "x", "version": 3}, [], "text", 5,
    None, {"title": "x", "kpis": [{"name": "a", "extra": "b"}]}, {"title": ""}, {},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=[repr(b)[:40] for b in BAD_BODIES])
def test_every_wrong_type_is_a_400_with_a_message(client, token, body) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/cases", headers=_h(token), json=body)
    assert response.status_code == 400, (body, response.status_code)
    assert response.get_json()["error"]["message"]


def test_non_json_body_is_400(client, token) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/cases", headers=_h(token), data="title=x").status_code == 400
    assert client.post("/api/v1/cases", headers={**_h(token), "Content-Type": "application/json"},
                       data="{broken").status_code == 400


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                           lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=5), children, max_size=3), max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["title", "summary", "themes", "tools", "fiscal_year", "cost_jpy", "stage", "kpis",
                              "vendors", "ordinances", "contact"]), value=json_values)
def test_fuzzed_fields_never_give_500(client, token, field, value) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/cases", headers=_h(token), json={"title": "fuzz", field: value})
    assert response.status_code in (201, 400), (field, value, response.status_code)


def test_openapi_documents_the_casebook_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/casebook/search" in paths and "post" in paths["/api/v1/cases"]
    assert "put" in paths["/api/v1/cases/{case_id}"]


def test_other_tenant_case_is_404_and_curator_cannot_write(client, token, app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = user_of("131083", "member@koto.example.jp")
        from casebook.services import create_case
        from tests.factories.casebook import content

        other_id = create_case("131083", user.id, content()).id
        curator = user_of("130001", "curator@metro.tokyo.example.jp")
        _row, curator_token = create_token(curator, "cur")
        db.session.commit()
        db.session.remove()
    assert client.get(f"/api/v1/cases/{other_id}", headers=_h(token)).status_code == 404
    assert client.put(f"/api/v1/cases/{other_id}", headers=_h(token), json={"version": 1}).status_code == 404
    assert client.post("/api/v1/cases", headers=_h(curator_token), json={"title": "x"}).status_code == 403
    assert client.get("/api/v1/casebook/search?q=窓口", headers=_h(curator_token)).status_code == 200
