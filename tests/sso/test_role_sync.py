"""Roles in sync with the IdP (issue 23, point 1): with "roles follow the provider's groups", every
login sets the mapped roles from the groups sent then; roles given in the portal that no mapping names
stay; each change is audited and told to the tenant admins. Without it, roles stay as managed."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.extensions import db
from kernel.notifications.models import Notification
from tenants.context import bind_tenant
from tenants.models import User
from tests.sso.conftest import OME, Provider, configure, sso_login

MAPPING = {"yokoten-admins": ["member", "tenant_admin"], "yokoten-judges": ["judge", "member"]}


def _roles(app: Flask, subject: str) -> list[str]:
    with app.app_context():
        bind_tenant(OME)
        user = db.session.scalar(select(User).where(User.subject == subject))
        assert user is not None
        roles = sorted(user.roles)
        db.session.remove()
    return roles


def test_roles_follow_the_groups_at_every_login_when_chosen(app: Flask, idp_a: Provider) -> None:
    configure(app, OME, idp_a.url, role_mapping=MAPPING, roles_from_idp=True)
    idp_a.set_user("kaori", email="kaori@ome.example.jp", name="青梅 かおり", groups=["yokoten-admins"])
    assert sso_login(app.test_client(), OME, "kaori").status_code == 302
    assert _roles(app, "kaori") == ["member", "tenant_admin"]
    # April 人事異動: she moves to a judging role at the IdP; the next login follows.
    idp_a.set_user("kaori", email="kaori@ome.example.jp", name="青梅 かおり", groups=["yokoten-judges"])
    assert sso_login(app.test_client(), OME, "kaori").status_code == 302
    assert _roles(app, "kaori") == ["judge", "member"]
    with app.app_context():
        bind_tenant(OME)
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.sso_roles")).all()[-1]
        assert entry.before == {"roles": ["member", "tenant_admin"]} and entry.after == {"roles": ["judge", "member"]}
        admin = db.session.scalar(select(User).where(User.email == "admin@ome.example.jp"))
        told = db.session.scalars(select(Notification).where(Notification.user_id == admin.id,
                                                             Notification.kind == "tenants.sso_roles_changed")).all()
        assert told and told[-1].params["name"] == "青梅 かおり" and told[-1].params["roles"] == "judge, member"
        db.session.remove()
    # No group at all: the mapped roles go, the person stays a member.
    idp_a.set_user("kaori", email="kaori@ome.example.jp", name="青梅 かおり", groups=[])
    assert sso_login(app.test_client(), OME, "kaori").status_code == 302
    assert _roles(app, "kaori") == ["member"]


def test_roles_stay_as_managed_in_the_portal_by_default(app: Flask, idp_a: Provider) -> None:
    configure(app, OME, idp_a.url, role_mapping=MAPPING)
    idp_a.set_user("ken", email="ken@ome.example.jp", groups=["yokoten-admins"])
    assert sso_login(app.test_client(), OME, "ken").status_code == 302
    idp_a.set_user("ken", email="ken@ome.example.jp", groups=[])
    assert sso_login(app.test_client(), OME, "ken").status_code == 302
    assert _roles(app, "ken") == ["member", "tenant_admin"]
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.sso_roles")).all() == []
        db.session.remove()


def test_the_admin_form_switches_it(app: Flask, login_as) -> None:  # type: ignore[no-untyped-def]
    from tests.sso.test_settings import FORM, _provider

    client = login_as("tenant_admin")
    assert client.post("/admin/sso", data={**FORM, "roles_from_idp": "y"}).status_code == 302
    with app.app_context():
        bind_tenant(OME)
        from tenants.sso.models import SsoProvider

        assert db.session.get(SsoProvider, OME).roles_from_idp is True
        db.session.remove()
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "ログインのたびに役割を IdP のグループに合わせる" in page
    assert _provider(app) is not None
