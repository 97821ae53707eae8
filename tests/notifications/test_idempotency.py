"""Every state-changing request is idempotent: the same form (or API call) sent twice — one after the
other or at the same moment — creates one object, sends one notification and shows the first result.

The concurrent cases run against a live threaded server with its own database (real commits, two
real connections), so the second request really waits on the first one's uncommitted key.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from devtools.demo import KOTO
from kernel.config import normalise_url
from tests.conftest import BASE_CONFIG, ROLE_ACCOUNTS
from tests.dbsetup import drop_database

pytestmark = pytest.mark.no_rollback


@pytest.fixture(scope="module")
def live(cluster) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    urls = cluster.create_from_template("idem")
    app: Flask = create_app({**BASE_CONFIG, **urls, "TESTING": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    owner = create_engine(normalise_url(urls["DATABASE_OWNER_URL"]), poolclass=NullPool)
    owner.yokoten_urls = urls  # type: ignore[attr-defined]
    try:
        yield f"http://127.0.0.1:{server.server_port}", owner
    finally:
        server.shutdown()
        thread.join(timeout=5)
        owner.dispose()
        with app.app_context():
            from kernel.extensions import db

            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        drop_database(cluster.admin_url, cluster.db("idem"))


def _session(base: str, who: str) -> requests.Session:
    tenant, email = ROLE_ACCOUNTS[who]
    session = requests.Session()
    assert session.post(f"{base}/dev-login", data={"tenant": tenant, "email": email},
                        allow_redirects=False).status_code == 302
    return session


def _count(owner: Any, sql: str, tenant: str = "132055") -> int:
    """A count as the owner, under a tenant's binding (RLS is forced for the owner too)."""
    with owner.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})
        return int(conn.execute(text(sql)).scalar() or 0)


def _twice_at_once(session: requests.Session, url: str, **kwargs: Any) -> list[requests.Response]:
    """The same request from two threads released together (a double click 0 ms apart)."""
    start = threading.Barrier(2)
    results: list[requests.Response] = []

    def send() -> None:
        start.wait()
        results.append(session.post(url, allow_redirects=False, timeout=30, **kwargs))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _form_token(session: requests.Session, url: str) -> str:
    page = session.get(url).text
    found = re.search(r'name="_once" value="([^"]+)"', page)
    assert found, "every POST form carries a one-time token"
    return found.group(1)


def _entry_id(session: requests.Session, base: str) -> int:
    body = session.get(f"{base}/casebook?q=学童クラブ").text
    return int(re.search(r'href="/casebook/(\d+)">学童クラブ', body).group(1))  # type: ignore[union-attr]


CASE_FORM = {"title": "二重送信テスト", "summary": "概要", "problem": "", "approach": "", "outcomes": "",
             "themes": "", "tools": "", "fiscal_year": "2024", "cost_jpy": "", "department": "", "stage": "pilot",
             "kpis": "", "vendors": "", "products": "", "ordinances": "", "lessons": "",
             "replication_conditions": "", "contact": "", "successor_contact": ""}


def test_new_case_sent_twice_at_once_creates_one(live) -> None:  # type: ignore[no-untyped-def]
    base, owner = live
    member = _session(base, "member")
    token = _form_token(member, f"{base}/cases/new")
    first, second = _twice_at_once(member, f"{base}/cases/new", data={**CASE_FORM, "_once": token})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]  # both see the first's result
    assert _count(owner, "SELECT count(*) FROM cases WHERE title = '二重送信テスト'") == 1
    # The next form render has a new token: writing another case is a new request.
    again = member.post(f"{base}/cases/new", data={**CASE_FORM, "_once": _form_token(member, f"{base}/cases/new")},
                        allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"] != first.headers["Location"]
    replay = member.post(f"{base}/cases/new", data={**CASE_FORM, "_once": token})
    assert "このフォームはすでに送信され、1回だけ処理されました" in replay.text  # told, not a second case
    assert _count(owner, "SELECT count(*) FROM cases WHERE title = '二重送信テスト'") == 2


@pytest.mark.parametrize("route, table, data", [
    ("/casebook/{entry}/questions", "casebook_questions", {"body": "同時に二回送った質問"}),
    ("/casebook/{entry}/adopt", "casebook_adoptions", {}),
])
def test_casebook_creating_routes_sent_twice_at_once_create_one(live, route, table, data) -> None:  # type: ignore[no-untyped-def]
    base, owner = live
    member = _session(base, "chiyoda_member")
    entry = _entry_id(member, base)
    url = base + route.format(entry=entry)
    before = _count(owner, f"SELECT count(*) FROM {table}")  # noqa: S608 - table names from the list above
    notes_before = _count(owner, "SELECT count(*) FROM notifications", KOTO)
    token = _form_token(member, f"{base}/casebook/{entry}")
    responses = _twice_at_once(member, url, data={**data, "_once": token})
    assert sorted(r.status_code for r in responses) == [302, 302]
    assert _count(owner, f"SELECT count(*) FROM {table}") == before + 1  # noqa: S608
    told = _count(owner, "SELECT count(*) FROM notifications", KOTO) - notes_before
    people = _count(owner, "SELECT count(*) FROM users WHERE is_active", KOTO)
    assert told == people  # each person of 江東区 told once, not twice


def test_api_idempotency_key_returns_the_first_result(live) -> None:  # type: ignore[no-untyped-def]
    from kernel.extensions import db
    from tenants.context import as_tenant
    from tenants.models import User
    from tenants.tokens import create_token

    base, owner = live
    tenant, email = ROLE_ACCOUNTS["member"]
    from portal.app import create_app

    app = create_app({**BASE_CONFIG, **owner.yokoten_urls})
    with app.app_context(), as_tenant(tenant):
        user = db.session.query(User).filter_by(tenant_id=tenant, email=email).one()
        _row, token = create_token(user, "idempotency test")
        db.session.commit()
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Idempotency-Key": "case-import-20261206-0001"})
    payload = {"title": "API二重送信テスト", "summary": "概要"}
    first, second = _twice_at_once(session, f"{base}/api/v1/cases", json=payload)
    assert sorted(r.status_code for r in (first, second)) == [201, 201]
    assert first.json() == second.json()
    assert {r.headers.get("Idempotency-Replayed") for r in (first, second)} == {None, "true"}
    # The replay names the created case too (the first answer's Location), not only its body.
    assert first.headers["Location"] == second.headers["Location"] == f"/api/v1/cases/{first.json()['id']}"
    assert _count(owner, "SELECT count(*) FROM cases WHERE title = 'API二重送信テスト'") == 1

