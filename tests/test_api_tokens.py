"""Personal access tokens: created in the profile, hashed, scoped to the user's tenant and roles."""
from __future__ import annotations

import re

from sqlalchemy import select

from kernel.extensions import db
from tenants.tokens import ApiToken


def _create(client, name: str = "集計スクリプト") -> str:  # type: ignore[no-untyped-def]
    response = client.post("/profile/tokens", data={"name": name})
    assert response.status_code == 200
    match = re.search(r'data-testid="new-token">(yk_\d{6}_[^<]+)<', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_token_acts_as_its_user_and_is_stored_hashed(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    token = _create(client)
    assert token.startswith("yk_132055_")
    api = app.test_client()  # no cookie: only the token
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json == {"email": "member@ome.example.jp", "display_name": "青梅 花子", "tenant": "132055",
                       "roles": ["member"]}
    with app.app_context():
        from tenants.context import bind_tenant

        bind_tenant("132055")
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        assert stored and all(token not in h and len(h) == 64 for h in stored)


def test_bad_tampered_and_revoked_tokens_get_401(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    token = _create(client)
    api = app.test_client()
    for bad in ("nonsense", token[:-2] + "xx", token.replace("132055", "131083")):
        response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
        assert response.json["error"]["message"] == "アクセストークンが無効です。"
    page = client.get("/profile/").get_data(as_text=True)
    token_id = re.search(r"/profile/tokens/(\d+)/revoke", page).group(1)
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_of_deactivated_user_stops_working(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    token = _create(client)
    admin = app.test_client()
    from tests.conftest import login

    login(admin, "tenant_admin")
    member_id = re.search(r'/admin/users/(\d+)">青梅 花子', admin.get("/admin/users").get_data(as_text=True)).group(1)
    assert admin.post(f"/admin/users/{member_id}/active", data={"active": "0"}).status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_empty_name_is_refused_and_nothing_written(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    response = client.post("/profile/tokens", data={"name": "   "})
    assert response.status_code == 400
    assert "トークンの名前を入力してください。" in response.get_data(as_text=True)
    with app.app_context():
        from tenants.context import bind_tenant

        bind_tenant("132055")
        assert db.session.scalar(select(ApiToken).where(ApiToken.name == "   ")) is None


def test_cli_prints_the_token_alone_on_the_last_line(app) -> None:  # type: ignore[no-untyped-def]
    # Runs as the owner role against the unit database; the token row is committed there, which
    # is harmless (the user's tokens are listed only to that user).
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", "member@koto.example.jp"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"yk_131083_[A-Za-z0-9_-]+", last)
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {last}"})
    assert me.status_code == 200 and me.json["tenant"] == "131083"


def test_openapi_document_describes_the_api(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/me" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
