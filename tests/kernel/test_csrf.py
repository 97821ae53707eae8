"""CSRF sweep: every state-changing route refuses a request without a token (400) and writes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from kernel.extensions import db
from tests.authz.matrix import ROLES, load_rows, resolve
from tests.authz.providers import load_all
from tests.conftest import login

MUTATING = [r for r in load_rows() if r.method in {"POST", "PUT", "PATCH", "DELETE"}]
PROVIDERS = load_all()
# Deliberately CSRF-exempt: called server to server by an identity provider, which has no session and no
# form token; authenticated by the signed logout token itself (tenants/sso/backchannel.py).
CSRF_EXEMPT = {"sso.backchannel_logout"}

WRITES_SQL = text(
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
    "WHERE relname NOT IN ('audit_log', 'auth_sessions')")


def _writes(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        value = int(db.session.execute(WRITES_SQL).scalar() or 0)
        db.session.remove()
    return value


@pytest.mark.parametrize("row", MUTATING, ids=[r.id for r in MUTATING])
def test_no_token_400_and_nothing_written(app, client, row) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        path = resolve(row.path, PROVIDERS)
        db.session.commit()
        db.session.remove()
    allowed = [role for role in ROLES if role != "anonymous" and row.expect[role] < 400] or ["member"]
    login(client, allowed[0])  # CSRF is off while logging in
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        before = _writes(app)
        response = client.open(path, method=row.method, data=row.data)
        after = _writes(app)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    if row.endpoint.startswith(("api.", )) or "_api." in row.endpoint:
        assert response.status_code in (400, 401), response.status_code  # API: token calls are exempt
    elif row.endpoint in CSRF_EXEMPT:
        assert response.status_code == 400, f"{row.method} {path}: {response.status_code}"  # no logout token
    else:
        assert response.status_code == 400, f"{row.method} {path}: {response.status_code}"
        assert "セキュリティトークン" in response.get_data(as_text=True)
    assert after == before, f"{row.method} {path} wrote rows without a CSRF token"


def test_the_write_counter_sees_a_real_write(app, client) -> None:  # type: ignore[no-untyped-def]
    """Control: with a token the same kind of request does write, so the sweep above can fail."""
    login(client, "tenant_admin")
    import re

    member_id = re.search(r'/admin/users/(\d+)">青梅 花子', client.get("/admin/users").get_data(as_text=True)).group(1)
    before = _writes(app)
    assert client.post(f"/admin/users/{member_id}", data={"roles": ["member", "judge"]}).status_code == 302
    assert _writes(app) > before


def test_the_csrf_hook_asks_the_method_first(app) -> None:  # type: ignore[no-untyped-def]
    """portal.app.check_csrf_after_the_method has replaced Flask-WTF's hook, first before every other hook: the
    sweep above then proves that it still refuses every state-changing route without a token."""
    names = [getattr(hook, "__qualname__", "") for hook in app.before_request_funcs[None]]
    assert names[0] == "check_csrf_after_the_method.<locals>.csrf_protect"
    assert "CSRFProtect.init_app.<locals>.csrf_protect" not in names
