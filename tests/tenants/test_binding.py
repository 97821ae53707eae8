"""One way to bind a tenant: the request loaders bind, everything else uses tenants.context.as_tenant."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tenants.context import as_tenant, bind_tenant, current_tenant_id, current_user_id

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("kernel", "tenants", "casebook", "procurement", "awards", "workload", "support", "community", "portal")
LOW_LEVEL = {"bind_tenant", "unbind_tenant"}

# The modules that may call the low-level bind, and why. Adding one needs a reason as good as these.
ALLOWED = {
    "tenants/context.py": "defines it, and as_tenant",
    "tenants/auth.py": "the session request loader and start_session (a login)",
    "tenants/tokens.py": "the API-token request loader",
    # The routes that run before any session exists bind the municipality their URL names, as a loader
    # binds the session's: the SSO login and callback (and their refusal, audited under the tenant) and
    # the IdP's back-channel logout. The SSO services only check that their tenant is bound.
    "tenants/sso/views.py": "the SSO login routes: the municipality of the URL, before a session exists",
    "tenants/sso/backchannel.py": "the IdP's back-channel logout: the municipality of the URL, no session",
}


def _callers() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for package in RUNTIME:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    if name in LOW_LEVEL:
                        found.setdefault(path.relative_to(ROOT).as_posix(), []).append(node.lineno)
    return found


def test_only_the_allowed_modules_call_the_low_level_bind() -> None:
    callers = _callers()
    outside = {module: lines for module, lines in callers.items() if module not in ALLOWED}
    assert not outside, f"use tenants.context.as_tenant instead of bind_tenant in {outside}"
    assert "tenants/auth.py" in callers  # the scan does find calls (it can fail)


def test_as_tenant_restores_the_previous_binding(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant("132055", 7)
        with as_tenant("131083"):
            assert (current_tenant_id(), current_user_id()) == ("131083", 7)  # the actor stays the actor
            with as_tenant("130001", 9):
                assert (current_tenant_id(), current_user_id()) == ("130001", 9)
            assert (current_tenant_id(), current_user_id()) == ("131083", 7)
        assert (current_tenant_id(), current_user_id()) == ("132055", 7)
        with pytest.raises(RuntimeError), as_tenant("131083"):
            raise RuntimeError("boom")
        assert (current_tenant_id(), current_user_id()) == ("132055", 7)


def test_as_tenant_reaches_postgresql_and_back(app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from kernel.extensions import db

    setting = text("SELECT current_setting('app.tenant_id', true)")
    with app.app_context():
        bind_tenant(None)
        assert db.session.scalar(setting) in ("", None)
        with as_tenant("131083"):
            assert db.session.scalar(setting) == "131083"
        assert db.session.scalar(setting) == ""
        db.session.rollback()


def test_creating_a_user_does_not_bind_as_a_side_effect(app) -> None:  # type: ignore[no-untyped-def]
    from kernel.extensions import db
    from tenants.services import NewUser, create_user

    with app.app_context():
        bind_tenant(None)
        with pytest.raises(RuntimeError, match="bind tenant 131083 first"):
            create_user(NewUser("131083", "nobody@koto.example.jp", "誰か"))
        with as_tenant("131083"):
            user = create_user(NewUser("131083", "binding-test@koto.example.jp", "束縛 試験"))
            assert user.tenant_id == "131083"
        assert current_tenant_id() is None
        db.session.rollback()
