"""The pages the benchmark drives, their logged-in credentials, and how each page's URL is found.

A page whose module has not landed (no route in the app) is reported as "not measured".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from bench.setup import BenchDatabase

SESSIONS_PER_ROLE = 8
FLOOR_NAME = "floor: the lightest logged-in page (own profile)"
DB_FLOOR_NAME = "bare Jinja + one SQL transaction (50 items)"


@dataclass
class Page:
    name: str
    path: Optional[str]
    auth: str  # "member" / "judge" / "curator" (session cookie), "token" (API bearer), "none"
    key: str = ""
    note: str = ""


# A fixed Fernet key (32 bytes, url-safe base64): without one, production mode warns on every app
# and worker start. The bench stores no SSO client secret.
SSO_KEY = "YmVuY2gtc3NvLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24="


def _app(db: BenchDatabase, secret: str) -> Any:
    from portal.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": db.app_url, "DATABASE_OWNER_URL": db.owner_url,
                       "SECRET_KEY": secret, "PORTAL_ENV": "production", "SESSION_COOKIE_SECURE": False,
                       "SSO_SECRET_KEY": SSO_KEY})


def _users(db: BenchDatabase, local: str, limit: int) -> list[tuple[str, str]]:
    return [(t, e) for t, e in db.query(
        "SELECT tenant_id, email FROM users WHERE email LIKE %s ORDER BY tenant_id LIMIT %s", (f"{local}@%", limit))]


def make_credentials(db: BenchDatabase, secret: str) -> dict[str, list[str]]:
    """Logged-in sessions (server-side session rows and signed cookies) and API tokens, per role."""
    import psycopg2
    from flask import session
    from sqlalchemy import select

    from kernel.extensions import db as sqla
    from portal.backup import libpq
    from tenants.auth import start_session
    from tenants.context import bind_tenant
    from tenants.models import User
    from tenants.tokens import create_token

    # One token per member, whatever earlier runs on this database left: the floor page (own profile) lists
    # the person's tokens and must not grow from run to run (as the server's superuser: the app role may only
    # revoke, and row-level security, forced on the table, hides every row from the owner without a tenant).
    with psycopg2.connect(libpq(db.superuser_url)) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM api_tokens WHERE name = 'bench'")
    app = _app(db, secret)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    from bench import domain_pages

    wanted = {"member": _users(db, "bench-member", SESSIONS_PER_ROLE),
              "judge": domain_pages.judges(db, SESSIONS_PER_ROLE), "curator": _users(db, "bench-curator", 1)}
    headers: dict[str, list[str]] = {"token": []}
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    for role, people in wanted.items():
        headers[role] = []
        for tenant, email in people:
            with app.test_request_context("/"):
                bind_tenant(tenant)
                user = sqla.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
                start_session(user, "dev")
                cookie = serializer.dumps(dict(session))
                if role == "member":
                    bind_tenant(tenant, user.id)
                    _row, token = create_token(user, "bench")
                    headers["token"].append(f"Authorization: Bearer {token}")
                sqla.session.commit()
                sqla.session.remove()
            headers[role].append(f"Cookie: {cookie_name}={_after_first_page(app, cookie_name, cookie)}")
    return headers


def _after_first_page(app: Any, cookie_name: str, cookie: str) -> str:
    """The session cookie as a browser holds it after its first page: the first page adds what the session
    keeps from then on (the CSRF secret) and sends the updated cookie, which a browser sends back. wrk repeats
    one cookie and never takes a new one: with the cookie from the login alone, every request would make a new
    CSRF secret and re-sign the cookie, which no browser causes after its first page."""
    client = app.test_client()
    client.set_cookie(cookie_name, cookie)
    response = client.get("/profile/")
    if response.status_code != 200:
        raise RuntimeError(f"the bench session's first page answered {response.status_code}")
    updated = client.get_cookie(cookie_name)
    return updated.value if updated is not None else cookie


def resolve_pages(db: BenchDatabase, secret: str) -> list[Page]:
    """Each measured page with a concrete URL, or path None when its module is not there yet."""
    from bench import domain_pages

    judge_tenants = [t for t, _e in domain_pages.judges(db, SESSIONS_PER_ROLE)]
    # The floor: the lightest logged-in page (the session check, the layout and one small query). No
    # page of this design can be faster, so it shows how far the ceiling is for any page.
    return [Page(FLOOR_NAME, "/profile/", "member", "floor"), Page("dashboard (home)", "/", "member", "dashboard"),
            *domain_pages.resolve(db, judge_tenants, secret)]
