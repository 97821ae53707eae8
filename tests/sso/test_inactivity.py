"""Leavers nobody told the portal about (issue 23, point 2): a person not seen at their IdP for the
municipality's inactivity_days is deactivated by the daily job, their sessions end, the admins are told."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from kernel import audit
from kernel.extensions import db
from kernel.notifications.models import Notification
from tenants.context import bind_tenant
from tenants.models import User
from tenants.sso.models import SsoProvider
from tests.sso.conftest import KOTO, OME, Provider, configure, sso_login


def _age(app: Flask, tenant: str, email: str, days: int) -> None:
    with app.app_context():
        bind_tenant(tenant)
        db.session.execute(update(User).where(User.tenant_id == tenant, User.email == email)
                           .values(last_login_at=datetime.now(UTC) - timedelta(days=days)))
        db.session.commit()
        db.session.remove()


def _active(app: Flask, tenant: str, email: str) -> bool:
    with app.app_context():
        bind_tenant(tenant)
        value = db.session.scalar(select(User.is_active).where(User.tenant_id == tenant, User.email == email))
        db.session.remove()
    return bool(value)


def _notices(app: Flask, tenant: str) -> list[dict]:
    with app.app_context():
        bind_tenant(tenant)
        rows = db.session.scalars(select(Notification.params).where(Notification.kind == "tenants.inactive_deactivated")
                                  ).all()
        db.session.remove()
    return [dict(r) for r in rows]


def _person(app: Flask, idp: Provider, tenant: str, sub: str, email: str) -> Any:
    idp.set_user(sub, email=email)
    client = app.test_client()
    assert sso_login(client, tenant, sub).status_code == 302
    return client


def test_daily_job_deactivates_the_unseen_ends_their_sessions_and_tells_the_admins(
        app: Flask, idp_a: Provider, idp_b: Provider, login_as: Any) -> None:
    configure(app, OME, idp_a.url, inactivity_days=30)
    configure(app, KOTO, idp_b.url, inactivity_days=0)  # 江東区: off
    gone = _person(app, idp_a, OME, "gone", "gone@ome.example.jp")
    _person(app, idp_a, OME, "fresh", "fresh@ome.example.jp")
    _person(app, idp_b, KOTO, "koto-old", "old@koto.example.jp")
    _age(app, OME, "gone@ome.example.jp", 31)
    _age(app, OME, "fresh@ome.example.jp", 29)
    _age(app, KOTO, "old@koto.example.jp", 400)
    _age(app, OME, "admin@ome.example.jp", 400)  # never logged in through the IdP: not "unseen there"
    assert gone.get("/").status_code == 200
    result = app.test_cli_runner().invoke(args=["notifications", "remind"])
    assert result.exit_code == 0, result.output
    assert not _active(app, OME, "gone@ome.example.jp")
    assert _active(app, OME, "fresh@ome.example.jp") and _active(app, KOTO, "old@koto.example.jp")
    assert _active(app, OME, "admin@ome.example.jp")
    assert gone.get("/").status_code == 302  # the session ended with the deactivation
    notices = _notices(app, OME)
    assert len(notices) == 1 and notices[0]["count"] == 1 and "gone" in notices[0]["names"]
    assert _notices(app, KOTO) == []
    with app.app_context():
        bind_tenant(OME)
        entry = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "user.deactivate")
                                   .order_by(audit.AuditEntry.id.desc())).first()
        assert entry is not None and entry.after["reason"] == "inactive" and entry.after["days"] == 30
        db.session.remove()
    # Run again the same day: nothing more, nobody told twice.
    assert app.test_cli_runner().invoke(args=["sso", "deactivate-inactive"]).output.strip().endswith(
        "0 account(s) deactivated.")
    assert len(_notices(app, OME)) == 1
    # An administrator reactivates the person: they get the period again to log in.
    admin = login_as("tenant_admin")
    with app.app_context():
        bind_tenant(OME)
        user_id = db.session.scalar(select(User.id).where(User.email == "gone@ome.example.jp"))
        db.session.remove()
    assert admin.post(f"/admin/users/{user_id}/active", data={"active": "1"}).status_code == 302
    assert _active(app, OME, "gone@ome.example.jp")
    assert "0 account(s)" in app.test_cli_runner().invoke(args=["sso", "deactivate-inactive"]).output


def test_dry_run_lists_without_deactivating(app: Flask, idp_a: Provider) -> None:
    configure(app, OME, idp_a.url, inactivity_days=10)
    _person(app, idp_a, OME, "quiet", "quiet@ome.example.jp")
    _age(app, OME, "quiet@ome.example.jp", 11)
    output = app.test_cli_runner().invoke(args=["sso", "deactivate-inactive", "--dry-run"]).output
    assert "quiet@ome.example.jp" in output and "1 account(s) would be deactivated." in output
    assert _active(app, OME, "quiet@ome.example.jp")


def test_setting_refuses_a_bad_number_in_japanese_and_keeps_the_old(app: Flask, idp_a: Provider,
                                                                   login_as: Any) -> None:
    configure(app, OME, idp_a.url)
    client = login_as("tenant_admin")
    for value in ("-1", "3651"):
        response = client.post("/admin/sso", data={
            "issuer": idp_a.url, "client_id": f"yokoten-{OME}", "scopes": "openid email profile",
            "email_claim": "email", "name_claim": "name", "groups_claim": "groups", "is_enabled": "y",
            "inactivity_days": value})
        assert response.status_code == 400
        assert "0（無効）から 3650 までの日数を入力してください" in response.get_data(as_text=True)
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(SsoProvider.inactivity_days)) == 90
        db.session.remove()
