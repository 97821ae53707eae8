"""Tenant admin self-service (issue 17.5): invite a person, deactivate and reactivate with a confirmation.

What the admin sees on bad input is asserted word for word, and that nothing was written (no user, no
audit entry, no mail queued); 江東区's admin cannot touch a person of 青梅市 by guessing ids.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.extensions import db
from kernel.notifications import OutboxMail
from tenants.context import bind_tenant
from tenants.models import AuthSession, User
from tests.conftest import OME, login


def _counts(app: Flask, tenant: str = OME) -> dict[str, int]:
    with app.app_context():
        bind_tenant(tenant)
        result = {name: int(db.session.scalar(select(func.count()).select_from(model)
                                              .where(model.tenant_id == tenant)) or 0)
                  for name, model in (("users", User), ("outbox", OutboxMail))}
        result["audit"] = int(db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.tenant_id == tenant, ~AuditEntry.action.startswith("auth."),
            ~AuditEntry.action.startswith("access."))) or 0)
        db.session.remove()
    return result


def _user(app: Flask, email: str, tenant: str = OME) -> dict[str, Any]:
    with app.app_context():
        bind_tenant(tenant)
        user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
        data = None if user is None else {"id": user.id, "active": user.is_active, "roles": sorted(user.roles),
                                          "name": user.display_name, "issuer": user.issuer}
        db.session.remove()
    return data  # type: ignore[return-value]


def _invite(client: FlaskClient, **fields: Any) -> Any:
    data = {"email": "sato.ichiro@ome.example.jp", "display_name": "佐藤 一郎", "roles": ["member"],
            "language": "ja", **fields}
    return client.post("/admin/users/invite", data=data)


def _error_of(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).replace("エラー：", "").strip()
            for m in re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', page, re.S)]


def test_admin_invites_a_person_and_the_mail_says_how_to_log_in(app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    """Without single sign-on the mail (in Japanese, the chosen language) says the admin will tell them how."""
    admin = login(app.test_client(), "tenant_admin")
    form = admin.get("/admin/users/invite").get_data(as_text=True)
    assert 'data-testid="invite-no-sso"' in form  # 青梅市 has no provider in the test template
    response = _invite(admin)
    assert response.status_code == 302
    response.close()  # the mail leaves after the response
    mail = mail_sink.wait_for(1)[0]
    assert mail.to == "sato.ichiro@ome.example.jp"
    assert "青梅市の" in mail.body and "シングルサインオン（SSO）がまだ設定されていない" in mail.body
    assert mail.body.rstrip().count("/login") >= 1
    created = _user(app, "sato.ichiro@ome.example.jp")
    assert created["roles"] == ["member"] and created["active"] and created["issuer"] is None
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "佐藤 一郎" in listing and "招待済み（未ログイン）" in listing
    # The invited person can log in (development login here; through SSO in production) and is active.
    assert login(app.test_client(), f"{OME}:sato.ichiro@ome.example.jp").get("/").status_code == 200


def test_invitation_with_sso_prepares_the_account_and_mails_the_sso_link_in_english(app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    from tenants.context import as_tenant
    from tenants.sso.services import ProviderSettings, save_provider

    with app.app_context(), as_tenant(OME):
        save_provider(OME, ProviderSettings(issuer="https://idp.ome.example.jp", client_id="yokoten-ome"),
                      by_operator=True)
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    app.config["PORTAL_BASE_URL"] = "https://yokoten.example.jp"
    try:
        admin = login(app.test_client(), "tenant_admin")
        assert 'data-testid="invite-sso"' in admin.get("/admin/users/invite").get_data(as_text=True)
        response = _invite(admin, email="Tanaka@OME.example.jp", display_name="Tanaka Jiro",
                           roles=["member", "judge"], language="en")
        assert response.status_code == 302
        response.close()
    finally:
        app.config["PORTAL_BASE_URL"] = None
    mail = mail_sink.wait_for(1)[0]
    assert mail.to == "tanaka@ome.example.jp"
    assert mail.subject.startswith("[Yokoten] ")
    assert "invited you to Yokoten" in mail.body and "through Ome's single sign-on" in mail.body
    assert "https://yokoten.example.jp/login/132055" in mail.body
    created = _user(app, "tanaka@ome.example.jp")
    assert created["issuer"] == "https://idp.ome.example.jp"  # prepared for this issuer: linked at first login
    assert created["roles"] == ["judge", "member"]


def test_duplicate_and_bad_input_show_the_exact_error_and_write_nothing(app) -> None:  # type: ignore[no-untyped-def]
    admin = login(app.test_client(), "tenant_admin")
    before = _counts(app)
    cases = [
        ({"email": "Member@ome.example.jp"}, "member@ome.example.jp はこの団体にすでに登録されています。"),
        ({"email": ""}, "メールアドレスを入力してください。"),
        ({"email": "not an address"}, "メールアドレスの形式ではありません：not an address"),
        ({"display_name": "  "}, "氏名を入力してください。"),
        ({"roles": []}, "少なくとも一つの役割を選んでください。"),
        ({"roles": ["member", "curator"]}, "次の役割はポータルの運用担当者のみが付与できます：curator"),
        ({"roles": ["operator"]}, "次の役割はポータルの運用担当者のみが付与できます：operator"),
    ]
    for fields, message in cases:
        response = _invite(admin, **fields)
        assert response.status_code == 400, fields
        assert _error_of(response.get_data(as_text=True)) == [message], fields
    assert _counts(app) == before


def test_double_submit_of_one_invitation_form_makes_one_user(app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    admin = login(app.test_client(), "tenant_admin")
    token = re.search(r'name="_once" value="([^"]+)"', admin.get("/admin/users/invite").get_data(as_text=True))
    assert token
    first = _invite(admin, _once=token.group(1))
    first.close()
    second = _invite(admin, _once=token.group(1))
    assert (first.status_code, second.status_code) == (302, 302)
    assert second.headers["Location"] == first.headers["Location"]
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.email == "sato.ichiro@ome.example.jp")) == 1
        db.session.remove()
    assert len(mail_sink.wait_for(1)) == 1


def test_deactivation_asks_first_then_ends_the_sessions_at_once(app) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), "member")
    admin = login(app.test_client(), "tenant_admin")
    member_id = _user(app, "member@ome.example.jp")["id"]
    detail = admin.get(f"/admin/users/{member_id}").get_data(as_text=True)
    assert f'href="/admin/users/{member_id}/active?active=0"' in detail  # a link to the confirmation page
    confirm = admin.get(f"/admin/users/{member_id}/active?active=0")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "このアカウントを無効にしますか？" in page
    assert _user(app, "member@ome.example.jp")["active"]  # asking changes nothing
    done = admin.post(f"/admin/users/{member_id}/active", data={"active": "0"})
    assert done.status_code == 302
    shown = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "アカウントを無効にし、ログイン中のセッションを終了しました。" in shown
    with app.app_context():
        bind_tenant(OME)
        open_sessions = db.session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.user_id == member_id, AuthSession.ended_at.is_(None)))
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.deactivate")
                                   .order_by(AuditEntry.id.desc())).first()
        db.session.remove()
    assert open_sessions == 0
    assert entry is not None and entry.before == {"is_active": True} and entry.after["is_active"] is False
    assert entry.after["sessions_ended"] >= 1
    assert member.get("/").status_code == 302
    assert "再び有効にしますか" in admin.get(f"/admin/users/{member_id}/active?active=1").get_data(as_text=True)
    assert admin.post(f"/admin/users/{member_id}/active", data={"active": "1"}).status_code == 302
    assert _user(app, "member@ome.example.jp")["active"]


def test_admin_cannot_deactivate_self_or_the_last_admin(app, app_ctx) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from kernel.errors import ServiceError
    from tenants.services import set_active
    from tests.factories.tenants import make_user, user

    admin = user("tenant_admin")
    with pytest.raises(ServiceError, match="自分自身"):
        set_active(admin, admin, False)
    # 青梅市's only admin, deactivated by a second admin who is then demoted: the last one stays.
    other = make_user(OME, "second.admin@ome.example.jp", ("member", "tenant_admin"), "二番目 管理者")
    bind_tenant(OME, other.id)
    from tenants.models import Membership

    admins = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.tenant_id == OME, Membership.role == "tenant_admin"))
    assert admins == 2
    set_active(other, admin, False)
    with pytest.raises(ServiceError) as refused:
        set_active(admin, other, False)  # as if by a script: the last active administrator stays
    assert refused.value.message == "二番目 管理者 さんは団体で最後の有効な管理者のため、無効にできません。"
    assert other.is_active


def test_koto_admin_cannot_touch_an_ome_user_by_guessing_ids(app) -> None:  # type: ignore[no-untyped-def]
    koto = login(app.test_client(), "other_admin")
    member_id = _user(app, "member@ome.example.jp")["id"]
    before = _counts(app)
    assert koto.get(f"/admin/users/{member_id}/active?active=0").status_code == 404
    assert koto.post(f"/admin/users/{member_id}/active", data={"active": "0"}).status_code == 404
    assert koto.post(f"/admin/users/{member_id}", data={"roles": ["tenant_admin"]}).status_code == 404
    assert _user(app, "member@ome.example.jp")["active"]
    assert _counts(app) == before
    # An invitation is always into the admin's own municipality, whatever the form says.
    assert _invite(koto, email="x@ome.example.jp", tenant_id=OME).status_code == 302
    assert _user(app, "x@ome.example.jp") is None and _user(app, "x@ome.example.jp", "131083") is not None


def test_demo_data_shows_invited_and_deactivated_people_and_a_readable_log(app) -> None:  # type: ignore[no-untyped-def]
    """`flask demo load` (the test template is built with it): 江東区 has invited and deactivated people."""
    koto = login(app.test_client(), "other_admin")
    listing = koto.get("/admin/users").get_data(as_text=True)
    rows = {re.sub(r"<[^>]+>", " ", row) for row in listing.split("<tr>")}
    assert any("深川 由美" in row and "招待済み（未ログイン）" in row for row in rows)
    assert any("亀戸 健" in row and "無効" in row for row in rows)
    log = koto.get("/admin/audit?person=豊洲").get_data(as_text=True)
    assert "利用者を招待" in log and "役割を変更" in log and "江東 二郎" in log
    from devtools.demo.tenants import load_demo

    with app.app_context():
        assert load_demo() == "tenant admin demo: already loaded"  # a second `flask demo load` adds nothing
        db.session.remove()
