"""Two app nodes behind a load balancer, sharing PostgreSQL and Redis (issue 25.3): logins, rate limits, form
drafts and idempotency keys hold whichever node answers.

Each node is a gunicorn as in production; a round-robin balancer sends consecutive requests to
alternate nodes. A login made on one node holds on the other (sessions in PostgreSQL, one
SECRET_KEY), a rate limit counts requests across both (Redis), and killing one node mid-load loses
no acknowledged write: the balancer skips the dead node."""
from __future__ import annotations

import re
import signal
import socket
import time
import uuid

import psycopg2
import pytest
import requests

from tests.ops.balancer import RoundRobinBalancer
from tests.ops.conftest import Gunicorn, login_session
from tests.ops.test_faults import LoadLog, run_load

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [pytest.mark.no_rollback,
              pytest.mark.skipif(not _redis_up(), reason="needs the machine's Redis on 127.0.0.1:6379")]


@pytest.fixture
def two_nodes(live_db, tmp_path):  # type: ignore[no-untyped-def]
    prefix = f"yk-test-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0", "RATELIMIT_KEY_PREFIX": prefix,
           "SSO_RATELIMIT_PER_IP": "6/minute", "WEB_CONCURRENCY": "2"}
    nodes = [Gunicorn(live_db, tmp_path / f"node-{i}.log", **env).start() for i in range(2)]
    balancer = RoundRobinBalancer([node.port for node in nodes])
    yield nodes, balancer
    balancer.stop()
    for node in nodes:
        node.stop()
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=0)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_login_and_rate_limits_hold_whichever_node_answers(two_nodes) -> None:  # type: ignore[no-untyped-def]
    nodes, balancer = two_nodes
    # the login page (and its CSRF token) from one node, the login POST answered by the other
    http = login_session(balancer.url, "132055", "member@ome.example.jp")
    for _ in range(8):
        page = http.get(balancer.url + "/cases", timeout=10)
        assert page.status_code == 200 and "青梅市" in page.text
    assert all(count >= 4 for count in balancer.served.values()), balancer.served
    # 6 SSO login starts per minute per address, counted in Redis across both nodes
    statuses = [requests.get(balancer.url + "/login/132055", allow_redirects=False, timeout=10).status_code
                for _ in range(7)]
    assert 429 not in statuses[:6] and statuses[6] == 429, statuses
    # each node answered some of them: with per-process counters (no Redis) none would have reached 6
    served_logs = [node.log.read_text(encoding="utf-8").count('"route": "/login/<code>"') for node in nodes]
    assert all(count >= 3 for count in served_logs), served_logs


def test_a_node_killed_mid_load_loses_no_acknowledged_write(two_nodes, live_db, reader_url) -> None:  # type: ignore[no-untyped-def]
    import psutil

    nodes, balancer = two_nodes
    log = LoadLog()
    threads = run_load(balancer.url, 6.0, log, writers=2, readers=2)
    deadline = time.monotonic() + 30
    while len(log.acknowledged) < 5:  # the load is running on both nodes
        assert time.monotonic() < deadline, "no write acknowledged"
        time.sleep(0.05)
    victim = nodes[0]
    assert victim.process is not None
    master = psutil.Process(victim.process.pid)
    processes = [*master.children(), master]
    for process in processes:
        process.send_signal(signal.SIGKILL)  # the whole node at once, as a machine failure
    victim.process.wait(timeout=10)
    # dead means every process gone (and with them the listening socket), not only the master
    _gone, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, alive
    killed_at = time.monotonic()
    # the surviving node takes the writes: logins through the balancer succeed at once
    for tenant, email in (("132055", "member@ome.example.jp"), ("131083", "member@koto.example.jp")):
        login_session(balancer.url, tenant, email)
    for thread in threads:
        thread.join(timeout=60)
    with psycopg2.connect(reader_url(live_db["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM auth_sessions WHERE id = ANY(%s)", (log.acknowledged,))
        stored = {row[0] for row in cur.fetchall()}
    lost = set(log.acknowledged) - stored
    assert not lost, f"{len(lost)} acknowledged writes lost of {len(log.acknowledged)}"
    # only requests in flight on the killed node may have failed (the balancer skips it afterwards)
    late = [f for f in log.failures() if f.started > killed_at]
    assert not late, late[:5]


def _form_token(page: str, action: str) -> str:
    """The one-time token (portal.idempotency) of the POST form sent to ``action``."""
    match = re.search(r'<form method="post" action="' + re.escape(action) + r'"[^>]*><input type="hidden" '
                      r'name="_once" value="([^"]+)"', page)
    assert match, "the form has no one-time token"
    return match.group(1)


def test_drafts_and_idempotency_keys_hold_whichever_node_answers(two_nodes, live_db, reader_url) -> None:  # type: ignore[no-untyped-def]
    nodes, balancer = two_nodes
    http = login_session(balancer.url, "132055", "member@ome.example.jp")
    first, second = nodes[0].url, nodes[1].url  # the same browser (cookie), each node addressed directly
    title = f"二台構成の下書き {uuid.uuid4().hex[:8]}"
    page = http.get(first + "/cases/new", timeout=10).text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    marker = re.search(r'name="_draft" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    # a draft autosaved through one node …
    saved = http.post(first + "/drafts/save", data={"_draft": marker, "title": title, "summary": "二台目でも"},
                      headers={"X-CSRFToken": csrf, "Accept": "application/json"}, timeout=10)
    assert saved.status_code == 200 and saved.json()["saved"] is True, saved.text[:300]
    # … is offered and restored by the other
    assert "下書きを復元しますか" in http.get(second + "/cases/new", timeout=10).text
    restored = http.get(second + "/cases/new?draft=restore", timeout=10).text
    assert f'value="{title}"' in restored and "二台目でも" in restored

    # the same form (one one-time token) sent to one node, then again to the other: one case, one answer
    form = {"csrf_token": csrf, "_once": _form_token(restored, "/cases/new"), "_draft": marker, "title": title,
            "summary": "二台目でも", "stage": "implemented"}
    answers = [http.post(node + "/cases/new", data=form, allow_redirects=False, timeout=10) for node in (second, first)]
    assert [a.status_code for a in answers] == [302, 302], [a.text[:200] for a in answers]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]  # the second shows the first's result
    with psycopg2.connect(reader_url(live_db["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases WHERE title = %s", (title,))
        assert cur.fetchone()[0] == 1  # type: ignore[index]
        cur.execute("SELECT count(*) FROM form_drafts WHERE fields::text LIKE %s", (f"%{title}%",))
        assert cur.fetchone()[0] == 0  # type: ignore[index]  # saved, so the draft is gone on every node

    # the API's Idempotency-Key likewise: the second node answers with the first node's result
    api_title = f"二台構成のAPI {uuid.uuid4().hex[:8]}"
    headers = {"X-CSRFToken": csrf, "Idempotency-Key": f"two-nodes-{uuid.uuid4().hex}"}
    replies = [http.post(node + "/api/v1/cases", json={"title": api_title, "summary": "概要"}, headers=headers,
                         timeout=10) for node in (first, second)]
    assert [r.status_code for r in replies] == [201, 201], [r.text[:200] for r in replies]
    assert replies[0].json() == replies[1].json()
    assert [r.headers.get("Idempotency-Replayed") for r in replies] == [None, "true"]
    with psycopg2.connect(reader_url(live_db["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases WHERE title = %s", (api_title,))
        assert cur.fetchone()[0] == 1  # type: ignore[index]
