"""Issue 17 point 4 for every route of the authorization matrix: the same form sent twice at the same moment
writes what one sending writes — one object, one notification per person, one audit entry — and both
answers show the first one's result.

The list is derived from tests/authz/*.yaml, not written here: every POST row that succeeds (302/303; a
``json:`` row of the API, POST or PUT: 2xx, sent with an ``Idempotency-Key``) for some role is sent, as that
role, against a live threaded server with its own database (real commits, two real connections, the second
request waiting on the first one's uncommitted key):

1. fresh objects from the matrix providers, then the form once          → the row counts it wrote (one sending);
2. fresh objects again, then the same form twice at once (one token)   → the row counts they wrote.

Every table must have grown by the same number of rows in 2. as in 1. A route that creates nothing is
checked too (it must not write twice either); the routes that create something are listed in the report.
A POST route of the matrix without a succeeding row cannot be checked: ``NOT_EXERCISED`` names those
known today, so a new POST route without a succeeding row fails ``test_every_post_route_is_exercised``.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from kernel.config import normalise_url
from kernel.db_admin import with_user_and_db
from tests.authz.matrix import ROLES, Row, api_token, load_rows, resolve, resolve_data
from tests.authz.providers import load_all
from tests.conftest import BASE_CONFIG, ROLE_ACCOUNTS
from tests.dbsetup import drop_database

pytestmark = pytest.mark.no_rollback

SUCCESS = (302, 303)
API_SUCCESS = (200, 201, 204)  # a json: row (tests/authz/matrix.py)
# Rows every request writes besides its work, counted by their own tests (login sessions of the two logins),
# and the casebook's word list and its texts' stored words, which grow only by words and texts they have not seen
# (the first sending's new word or text is no longer new for the second).
BOOKKEEPING = {"auth_sessions", "idempotency_keys", "form_drafts", "casebook_vocabulary", "casebook_text_words"}
# POST routes whose matrix rows only refuse (bad or missing input, a file upload the YAML cannot carry, a
# step only another role's data allows): not sent here. Give one a succeeding row and remove it from here.
NOT_EXERCISED = {
    "portal.dev_login",  # each sending logs in anew (a new session by design): nothing to compare a repeat with
    "profile.create",  # its answer is the new token, shown once and never stored: a repeat gets 409, no 2nd token
    "sso.backchannel_logout",  # the IdP signs each logout token once (jti); a replay is refused by design
}
# Sending the form ends the session it is sent with (nothing to compare a second sending with).
SKIPPED = {"portal.logout"}
# A refusal often answers 303 too (a flashed error), so a row can count as sent while it writes nothing and
# the comparison above checks nothing. Each endpoint sent here must therefore have at least one row whose one
# sending writes something (outside BOOKKEEPING) — ``test_every_sent_route_writes_something`` — unless it is
# listed in one of the two sets below, each entry with its reason.
# Routes that legitimately write nothing in the database (or only BOOKKEEPING):
WRITES_NOTHING: dict[str, str] = {
    "portal.switch_language": "sets the language cookie (a logged-in person's choice is an update, no new row)",
    "drafts.save_draft": "an autosave: writes only form_drafts, which is BOOKKEEPING",
    "drafts.discard_draft": "deletes the person's form draft: form_drafts only, BOOKKEEPING",
    "drafts.session_extend": "extends the login session: auth_sessions only, BOOKKEEPING",
    "sso.relink": "its succeeding row is the dry run, which shows what a re-link would change and writes nothing",
    "sso.check_provider": "fetches the provider's discovery document and keys to say whether a login could work",
}
# Routes whose matrix rows today are all refusals or no-ops (no valid data in the YAML/providers yet): the
# gap, made visible. Give one a row that really writes (tests/authz/*.yaml, tests/authz/providers/) and
# remove it from here; the guard says when an entry has become stale.
# Row counts see new and deleted rows, not updates: a route that only updates (and audits nothing) is listed
# here too — its repetition is not checked by this module.
NOT_YET_WRITING: dict[str, str] = {
    "notifications.read_all": "an update (read_at) only, and the row's person has no unread notification",
    "sso.candidate_switch": "青梅市 has no candidate provider in the row's state: the button is refused (303)",
    "sso.provider_rollback": "no previous provider to roll back to in the row's state: refused (303)",
    "sso.candidate_discard": "no candidate to discard in the row's state: a no-op (302)",
    "sso.relink_export": "needs a dry run's result in the session first: refused (303)",
    "sso.relink_confirm": "needs a dry run's result in the session first: refused (303)",
    "sso.settings": "its valid row saves 青梅市's provider over the one earlier rows made: an update in place",
}


def _succeeding(row: Row) -> str | None:
    """The first role for which the row succeeds (for a form: a redirect, or the success the row names with
    ``succeeds:``, a dry run or an autosave), or None."""
    success = API_SUCCESS if row.json is not None else (*SUCCESS, row.succeeds) if row.succeeds else SUCCESS
    return next((role for role in ROLES if role != "anonymous" and row.expect[role] in success), None)


ROWS = [row for row in load_rows()
        if row.method in ("POST", "PUT") and _succeeding(row) and row.endpoint not in SKIPPED]


@pytest.fixture(scope="module")
def live(cluster) -> Iterator[tuple[str, Flask, Any]]:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    urls = cluster.create_from_template("idemx")
    app: Flask = create_app({**BASE_CONFIG, **urls, "TESTING": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Counted as the cluster's superuser: row-level security is forced even for the owner.
    superuser = urlsplit(cluster.admin_url).username or "postgres"
    counter = create_engine(normalise_url(with_user_and_db(cluster.admin_url, superuser, cluster.db("idemx"))),
                            poolclass=NullPool)
    try:
        yield f"http://127.0.0.1:{server.server_port}", app, counter
    finally:
        server.shutdown()
        thread.join(timeout=5)
        counter.dispose()
        with app.app_context():
            from kernel.extensions import db

            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        drop_database(cluster.admin_url, cluster.db("idemx"))


def _counts(counter: Any) -> dict[str, int]:
    with counter.connect() as conn:
        # A partitioned table is counted as a whole: which partition a row lands in is not what a sending wrote.
        tables = [r[0] for r in conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
            " AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'alembic_version'"))]
        sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)  # noqa: S608
        return {name: int(n) for name, n in conn.execute(text(sql))}


def _written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0) and t not in BOOKKEEPING}


_tokens: dict[str, str] = {}


def _session(base: str, app: Flask, role: str, row: Row) -> requests.Session:
    session = requests.Session()
    if row.json is not None:  # an API client: the role's token (one per role), no session
        if role not in _tokens:
            from kernel.extensions import db

            with app.app_context():
                _tokens[role] = api_token(role)
                db.session.commit()
                db.session.remove()
        session.headers["Authorization"] = f"Bearer {_tokens[role]}"
        return session
    tenant, email = ROLE_ACCOUNTS[role]
    assert session.post(f"{base}/dev-login", data={"tenant": tenant, "email": email},
                        allow_redirects=False).status_code == 302
    return session


_fiscal_years = iter(range(2040, 2100))


def _objects(app: Flask, row: Row) -> tuple[str, Any, Any]:
    """The row's path, data and JSON body with fresh objects from the matrix providers, committed in the live
    database."""
    from kernel.extensions import db
    from tests.authz.providers import workload

    # The workload provider opens (or reuses) its municipality's round of one fiscal year: a year of its own
    # for each call, so a round closed by one row is not the next row's object.
    if "{workload_" in row.path:
        workload.FY = next(_fiscal_years)
    with app.app_context():
        providers = load_all()
        path = resolve(row.path, providers)
        data, body = resolve_data(row.data, providers), resolve_data(row.json, providers)
        db.session.commit()
        db.session.remove()
    return path, data, body


def _send(session: requests.Session, row: Row, url: str, data: Any, body: Any, key: str) -> requests.Response:
    """The row's request once, with the one-time key a page or an API client would give it."""
    if row.json is not None:
        return session.request(row.method, url, json=body, headers={"Idempotency-Key": key}, allow_redirects=False,
                               timeout=60)
    return session.request(row.method, url, data={**data, "_once": key}, files=row.uploads() or None,
                           allow_redirects=False, timeout=60)


def _twice_at_once(session: requests.Session, row: Row, url: str, data: Any, body: Any) -> list[requests.Response]:
    start = threading.Barrier(2)
    results: list[requests.Response] = []
    key = secrets.token_urlsafe(18)

    def send() -> None:
        start.wait()
        results.append(_send(session, row, url, data, body, key))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_every_post_route_is_exercised() -> None:
    exercised = {row.endpoint for row in ROWS}
    posts = {row.endpoint for row in load_rows() if row.method in ("POST", "PUT")}
    missing = sorted(posts - exercised - NOT_EXERCISED - SKIPPED)
    assert not missing, f"POST routes without a succeeding matrix row (add one, with valid data): {missing}"
    stale = sorted(NOT_EXERCISED & exercised)
    assert not stale, f"now exercised, remove from NOT_EXERCISED: {stale}"


# What each row's one sending wrote (outside BOOKKEEPING), filled in by the test below, read by the guard.
_one_sending: dict[int, dict[str, int]] = {}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.endpoint} {r.path}" for r in ROWS])
def test_the_same_form_twice_at_once_writes_once(live, row: Row) -> None:  # type: ignore[no-untyped-def]
    base, app, counter = live
    role = _succeeding(row)
    assert role is not None
    session = _session(base, app, role, row)

    if "{" not in row.path:  # the route works on the person's own records: bring them to the row's state first
        path, data, body = _objects(app, row)
        assert _send(session, row, base + path, data, body, secrets.token_urlsafe(18)).status_code == row.expect[role]
    # Each sending has its own objects and values (a creating form's unique name is new for each).
    path, data, body = _objects(app, row)
    before = _counts(counter)
    once = _send(session, row, base + path, data, body, secrets.token_urlsafe(18))
    assert once.status_code == row.expect[role], once.text[:500]
    one_sending = _written(before, _counts(counter))
    _one_sending[id(row)] = one_sending

    path, data, body = _objects(app, row)
    before = _counts(counter)
    first, second = _twice_at_once(session, row, base + path, data, body)
    two_at_once = _written(before, _counts(counter))

    assert first.status_code == second.status_code == row.expect[role]
    assert first.headers.get("Location") == second.headers.get("Location")  # both show the first one's result
    if row.json is not None:
        assert first.json() == second.json()  # the API answers the second with the first one's body
    assert two_at_once == one_sending, f"{row.endpoint}: one sending wrote {one_sending}, two at once {two_at_once}"


def test_every_sent_route_writes_something() -> None:
    """Runs after the rows above (file order): an endpoint all of whose rows ran and none wrote anything is only
    ever refused here, so the comparison checked nothing for it. An endpoint some of whose rows did not run
    (deselected, or failed before their one sending — reported as such) cannot be judged: skipped, by name."""
    exempt = WRITES_NOTHING.keys() | NOT_YET_WRITING.keys()
    assert not WRITES_NOTHING.keys() & NOT_YET_WRITING.keys()
    by_endpoint: dict[str, list[Row]] = {}
    for row in ROWS:
        by_endpoint.setdefault(row.endpoint, []).append(row)
    unknown = sorted(exempt - by_endpoint.keys())
    assert not unknown, f"listed in WRITES_NOTHING/NOT_YET_WRITING but not sent here (remove): {unknown}"
    judged = {e: rows for e, rows in by_endpoint.items() if all(id(r) in _one_sending for r in rows)}
    writing = {e for e, rows in judged.items() if any(_one_sending[id(r)] for r in rows)}
    silent = sorted(e for e in judged.keys() - writing - exempt)
    assert not silent, ("endpoints whose every sent row writes nothing (a refusal answering 303?): give one a "
                        f"row with valid data that writes, or list it with its reason: {silent}")
    stale = sorted(writing & exempt)
    assert not stale, f"these now write: remove them from WRITES_NOTHING/NOT_YET_WRITING: {stale}"
    if not judged:
        pytest.skip("no row of the matrix ran in this session (run the whole module)")
    unjudged = sorted(by_endpoint.keys() - judged.keys())
    if unjudged:
        pytest.skip(f"not all rows ran; not judged: {unjudged}")


def test_a_token_form_sent_twice_at_once_makes_one_token(live) -> None:  # type: ignore[no-untyped-def]
    """profile.create, left out of the rows above: its answer is the new token, shown once and stored only as a
    hash, so a repeat cannot show it again — it makes no second token and says the form was already sent."""
    base, app, counter = live
    row = next(r for r in load_rows() if r.endpoint == "profile.create" and r.data)
    session = _session(base, app, "member", row)
    before = _counts(counter)
    answers = _twice_at_once(session, row, f"{base}/profile/tokens", dict(row.data), None)
    written = _written(before, _counts(counter))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.status_code for a in answers]
    assert written.get("api_tokens") == 1, written
    shown = next(a for a in answers if a.status_code == 200)
    assert 'data-testid="new-token"' in shown.text
