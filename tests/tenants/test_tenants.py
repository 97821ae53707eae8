"""Tenants and users: reference data, operator CLI, tenant admin pages, immediate loss of access."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from kernel.extensions import db
from tenants.models import Tenant
from tests.conftest import login


def test_reference_data_has_62_municipalities_and_tmg(app_ctx) -> None:  # type: ignore[no-untyped-def]
    tenants = {t.code: t for t in db.session.scalars(select(Tenant))}
    assert len(tenants) == 63
    assert tenants["130001"].name_ja == "東京都"
    assert tenants["132055"].name_ja == "青梅市" and tenants["132055"].name_kana == "おうめし"
    assert tenants["134210"].region == "islands"
    kinds = db.session.execute(select(Tenant.kind, func.count()).group_by(Tenant.kind)).all()
    assert dict(kinds) == {"special_ward": 23, "city": 26, "town": 5, "village": 8, "prefecture": 1}


def test_tenants_load_is_idempotent(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "load"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated" in result.output


def test_users_create_cli_and_its_errors(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["users", "create", "--tenant", "134210", "--email", "Staff@Ogasawara.example.jp",
                             "--role", "tenant_admin", "--role", "member"])
    assert ok.exit_code == 0, ok.output
    assert "staff@ogasawara.example.jp" in ok.output and "member, tenant_admin" in ok.output
    again = runner.invoke(args=["users", "create", "--tenant", "134210", "--email", "staff@ogasawara.example.jp"])
    assert again.exit_code != 0 and "すでに登録されています" in again.output
    unknown = runner.invoke(args=["users", "create", "--tenant", "999999", "--email", "a@b.jp"])
    assert unknown.exit_code != 0 and "登録されていません" in unknown.output
    bad_role = runner.invoke(args=["users", "create", "--tenant", "134210", "--email", "c@d.jp", "--role", "king"])
    assert bad_role.exit_code != 0


def _member_id(client) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'/admin/users/(\d+)">青梅 花子', client.get("/admin/users").get_data(as_text=True)).group(1)


def test_deactivated_user_loses_access_at_the_next_request(app, client) -> None:  # type: ignore[no-untyped-def]
    member = app.test_client()
    login(member, "member")
    assert member.get("/").status_code == 200
    login(client, "tenant_admin")
    member_id = _member_id(client)
    assert client.post(f"/admin/users/{member_id}/active", data={"active": "0"}).status_code == 302
    assert "無効" in client.get(f"/admin/users/{member_id}").get_data(as_text=True)
    assert member.get("/").status_code == 302  # logged out at once
    refused = app.test_client().post("/dev-login", data={"tenant": "132055", "email": "member@ome.example.jp"})
    assert refused.status_code == 400
    assert "無効になっています" in refused.get_data(as_text=True)
    assert client.post(f"/admin/users/{member_id}/active", data={"active": "1"}).status_code == 302
    login(member, "member")
    assert member.get("/").status_code == 200


def test_demoted_admin_loses_admin_pages_at_the_next_request(app, client) -> None:  # type: ignore[no-untyped-def]
    koto_admin = app.test_client()
    login(koto_admin, "other_admin")
    assert koto_admin.get("/admin/users").status_code == 200
    # A second admin of 江東区 demotes the first.
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--tenant", "131083", "--email", "cio2@koto.example.jp",
                                 "--role", "tenant_admin"])
    assert result.exit_code == 0
    second = app.test_client()
    login(second, "131083:cio2@koto.example.jp")
    page = second.get("/admin/users").get_data(as_text=True)
    first_id = re.search(r'/admin/users/(\d+)">江東 二郎', page).group(1)
    assert second.post(f"/admin/users/{first_id}", data={"roles": ["member"]}).status_code == 302
    assert koto_admin.get("/admin/users").status_code == 403


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "tenant_admin")
    own_id = re.search(r'/admin/users/(\d+)">青梅 太郎', client.get("/admin/users").get_data(as_text=True)).group(1)
    response = client.post(f"/admin/users/{own_id}", data={"roles": ["member"]})
    assert response.status_code == 400
    assert "自分自身の管理者権限は外せません。" in response.get_data(as_text=True)
    client.post(f"/admin/users/{own_id}/active", data={"active": "0"})
    assert "自分自身を無効にすることはできません。" in client.get(f"/admin/users/{own_id}").get_data(as_text=True)
    assert client.get("/").status_code == 200
    # the same refusals in the English interface are English
    client.post("/lang", data={"lang": "en"})
    response = client.post(f"/admin/users/{own_id}", data={"roles": ["member"]})
    assert response.status_code == 400
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    client.post(f"/admin/users/{own_id}/active", data={"active": "0"})
    assert "You cannot deactivate yourself." in client.get(f"/admin/users/{own_id}").get_data(as_text=True)


def test_users_page_lists_only_own_municipality(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "tenant_admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "青梅 花子" in page and "江東" not in page and "千代田" not in page
