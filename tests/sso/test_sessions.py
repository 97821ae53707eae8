"""Sessions of an SSO login: cookie flags, idle timeout, absolute lifetime, admin changes at once."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import AuthSession, User
from tests.conftest import login
from tests.sso.conftest import OME, sso_login


def _age_session(app, **delta: timedelta) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(OME)
        values = {name: datetime.now(UTC) - value for name, value in delta.items()}
        db.session.execute(update(AuthSession).where(AuthSession.tenant_id == OME, AuthSession.login_method == "sso")
                           .values(**values))
        db.session.commit()
        db.session.remove()


def test_cookie_flags_after_sso_login(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("pia", email="pia@ome.example.jp")
    response = sso_login(client, OME, "pia")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie  # Secure: production (tests/portal/test_shell.py)


def test_idle_timeout_ends_the_login(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("quinn", email="quinn@ome.example.jp")
    assert sso_login(client, OME, "quinn").status_code == 302
    _age_session(app, last_seen_at=timedelta(minutes=29))
    assert client.get("/").status_code == 200  # 29 minutes idle: still in
    _age_session(app, last_seen_at=timedelta(minutes=31))
    assert client.get("/").status_code == 302  # 31 minutes idle (default 30): out


def test_absolute_lifetime_ends_the_login(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("rosa", email="rosa@ome.example.jp")
    assert sso_login(client, OME, "rosa").status_code == 302
    _age_session(app, created_at=timedelta(hours=11, minutes=59))
    assert client.get("/").status_code == 200
    _age_session(app, created_at=timedelta(hours=12, minutes=1))
    assert client.get("/").status_code == 302


def test_admin_sees_last_login_and_demotes_an_sso_admin_at_once(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("sven", email="sven@ome.example.jp", name="青梅 スヴェン", groups=["yokoten-admins"])
    sven = app.test_client()
    assert sso_login(sven, OME, "sven").status_code == 302
    assert sven.get("/admin/users").status_code == 200
    login(client, "tenant_admin")
    page = client.get("/admin/users").get_data(as_text=True)
    row = re.search(r'/admin/users/(\d+)">青梅 スヴェン</a></td>(.*?)</tr>', page, re.S)
    assert row is not None and "有効" in row.group(2) and "なし" not in row.group(2)  # last login is shown
    sven_id = row.group(1)
    assert client.post(f"/admin/users/{sven_id}", data={"roles": ["member"]}).status_code == 302
    assert sven.get("/admin/users").status_code == 403  # demoted: at the very next request
    assert client.post(f"/admin/users/{sven_id}/active", data={"active": "0"}).status_code == 302
    assert sven.get("/").status_code == 302  # deactivated: logged out at the very next request
    with app.app_context():
        bind_tenant(OME)
        user = db.session.scalar(select(User).where(User.subject == "sven"))
        assert user is not None and not user.is_active and user.last_login_at is not None
        db.session.remove()


def test_the_cookie_is_written_when_the_session_changes_not_on_every_request(app, client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/dev-login", data={"tenant": OME, "email": "member@ome.example.jp"})
    cookie = response.headers["Set-Cookie"]
    expires = datetime.strptime(re.search(r"Expires=([^;]+)", cookie).group(1),  # type: ignore[union-attr]
                                "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    # the cookie ends with the absolute lifetime the server enforces (12 h), not later
    assert timedelta(hours=11, minutes=58) < expires - datetime.now(UTC) <= timedelta(hours=12)
    # a plain page view neither re-signs nor re-sends it ...
    assert client.get("/").status_code == 200
    assert "Set-Cookie" not in client.get("/profile/").headers
    # ... a change to the session does (the language switch)
    switched = client.post("/lang", data={"lang": "en", "next": "/"})
    assert switched.status_code in (302, 303) and "yokoten_session=" in switched.headers["Set-Cookie"]


def test_tenant_admin_ends_all_sessions_of_a_person(app, login_as) -> None:  # type: ignore[no-untyped-def]
    """Issue 23, point 2 (part): a leaver's or a lost laptop's sessions end at once, from the users page."""
    import re

    from tests.conftest import login as _login

    member = app.test_client()
    _login(member, "member")
    assert member.get("/profile/").status_code == 200
    admin = login_as("tenant_admin")
    listing = admin.get("/admin/users").get_data(as_text=True)
    member_id = re.search(r'/admin/users/(\d+)">青梅 花子', listing).group(1)
    response = admin.post(f"/admin/users/{member_id}/sessions/end", follow_redirects=True)
    # Other tests of the session may have left this person's sessions behind: at least the one above ends.
    ended = re.search(r"セッションを (\d+) 件終了しました", response.get_data(as_text=True))
    assert response.status_code == 200 and ended is not None and int(ended.group(1)) >= 1
    assert member.get("/profile/").status_code == 302  # logged out at the next request
    assert admin.get("/profile/").status_code == 200  # the admin's own session is untouched
