"""Two app nodes behind a load balancer, sharing PostgreSQL and Redis (issue 25.3).

Each node is a gunicorn as in production; a round-robin balancer sends consecutive requests to
alternate nodes. A login made on one node holds on the other (sessions in PostgreSQL, one
SECRET_KEY), a rate limit counts requests across both (Redis), and killing one node mid-load loses
no acknowledged write: the balancer skips the dead node."""
from __future__ import annotations

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
