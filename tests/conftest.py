"""Shared fixtures: real PostgreSQL, the app as the application role, rollback per test, logins."""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="yk-xdg-"))

import pytest  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from devtools.demo import CHIYODA, KOTO, OME  # noqa: E402
from kernel.begin import BEGIN  # noqa: E402
from kernel.extensions import db  # noqa: E402
from tenants.context import BINDING_SQL  # noqa: E402
from tenants.models import TMG_CODE  # noqa: E402
from tests.dbsetup import TestCluster, build_template, start_cluster  # noqa: E402

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "PORTAL_ENV": "test",
    "SECRET_KEY": "test-secret-key",
    "DEV_LOGIN_ENABLED": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SSO_SECRET_KEY": "dGVzdC1zc28ta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0=",
}

# The accounts that stand for each role in the tests and the authorization matrix. "own" objects
# belong to 青梅市 (home of member and tenant_admin); curator, judge and operator are TMG staff.
ROLE_ACCOUNTS: dict[str, tuple[str, str]] = {
    "member": (OME, "member@ome.example.jp"),
    "tenant_admin": (OME, "admin@ome.example.jp"),
    "curator": (TMG_CODE, "curator@metro.tokyo.example.jp"),
    "judge": (TMG_CODE, "judge@metro.tokyo.example.jp"),
    "operator": (TMG_CODE, "operator@metro.tokyo.example.jp"),
    "supporter": (TMG_CODE, "supporter@metro.tokyo.example.jp"),
    "other_member": (KOTO, "member@koto.example.jp"),
    "other_admin": (KOTO, "admin@koto.example.jp"),
    "chiyoda_member": (CHIYODA, "member@chiyoda.example.jp"),
    "chiyoda_cio": (CHIYODA, "cio@chiyoda.example.jp"),
}
OWN_TENANT, OTHER_TENANT = OME, KOTO


@pytest.fixture(scope="session")
def cluster() -> Iterator[TestCluster]:
    c = start_cluster()
    try:
        build_template(c, BASE_CONFIG)
        yield c
    finally:
        c.teardown()


@pytest.fixture(scope="session")
def app(cluster: TestCluster) -> Flask:
    from portal.app import create_app

    urls = cluster.create_from_template("unit")
    application = create_app({**BASE_CONFIG, **urls})
    with application.app_context():
        db.session.remove()
        # Each test's work happens in savepoints of one outer transaction that is rolled back.
        db.session.configure(join_transaction_mode="create_savepoint")
    return application


@contextmanager
def committing_app(cluster: TestCluster, name: str, pool_size: int) -> Iterator[Flask]:
    """An app on a copy of the template database of its own (``name``), whose requests and services really
    commit: for writers racing each other (the per-test rollback joins every session to one transaction). The
    copy is dropped at the end. Used by a module-scoped fixture of the tests marked ``no_rollback``."""
    from portal.app import create_app

    urls = cluster.create_from_template(name)
    application = create_app({**BASE_CONFIG, **urls, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool_size}})
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        cluster.drop(name)


def run_together(app: Flask, jobs: list[Callable[[], Any]]) -> list[BaseException]:
    """Run ``jobs`` at once, each in a thread of its own with its own app context and session: all wait at one
    barrier, then each runs its job and commits (a job may roll back itself). The errors raised (empty: none)."""
    import threading

    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - collected and asserted by the test
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.fixture(autouse=True)
def _rollback(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run every in-process test inside one transaction, rolled back at the end."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("no_rollback"):
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection  # every Session of every request joins this transaction
    try:
        yield
    finally:
        with application.app_context():
            db.session.remove()
            db.engines[None] = engine
        transaction.rollback()
        connection.close()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context for calling services directly (not while using the test client)."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def in_app(app: Flask) -> Callable[[Callable[[], Any]], Any]:
    """Run a factory in an app context and make its writes visible to the test client's requests
    (the commit releases the savepoint; the outer transaction of ``_rollback`` still rolls it back)."""
    def _run(fn: Callable[[], Any]) -> Any:
        with app.app_context():
            result = fn()
            db.session.commit()
            db.session.remove()
        return result
    return _run


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, who: str) -> FlaskClient:
    """Log the test client in through the development login as a role account or an e-mail."""
    tenant, email = ROLE_ACCOUNTS[who] if who in ROLE_ACCOUNTS else who.split(":", 1)
    data = {"tenant": tenant, "email": email}
    token = csrf_token(client)
    if token:
        data["csrf_token"] = token
    response = client.post("/dev-login", data=data)
    assert response.status_code == 302, response.data[:500]
    return client


def csrf_token(client: FlaskClient, path: str = "/login") -> str | None:
    page = client.get(path)
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.data)
    return match.group(1).decode() if match else None


@pytest.fixture
def login_as(client: FlaskClient):  # type: ignore[no-untyped-def]
    def _login(who: str) -> FlaskClient:
        return login(client, who)
    return _login


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Count SQL statements sent while the returned counter is active: `with count_queries() as n: ...`
    (the tenant bindings only with ``count_queries(include_bindings=True)``)."""
    from contextlib import contextmanager

    @contextmanager
    def _counter(include_bindings: bool = False):  # type: ignore[no-untyped-def]
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            # The tenant binding travels in front of a transaction's first statement (tenants.context): that
            # statement counts as itself, and with include_bindings the whole round trip is listed. The
            # transaction's BEGIN, in front of both (kernel/begin.py), is no statement of the code under test.
            statement = statement.removeprefix(BEGIN)
            if statement.startswith(BINDING_SQL + "; "):
                statements.append(statement if include_bindings else statement[len(BINDING_SQL) + 2:])
                return
            binding = "set_config('app.tenant_id'" in statement
            if (include_bindings or not binding) and not statement.startswith(("SAVEPOINT", "RELEASE")):
                statements.append(statement)

        with app.app_context():
            engine = db.engines[None].engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return _counter


@pytest.fixture
def mail_sink(app: Flask) -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on loopback that the app sends to; ``mail_sink.wait_for(n)`` waits for mails."""
    from devtools.mail_sink import MailSink

    sink = MailSink().start()
    previous = {key: app.config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_SECURITY="none")
    try:
        yield sink
    finally:
        app.config.update(previous)
        sink.stop()
