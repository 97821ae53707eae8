"""Fixtures of the operations tests: scratch databases, the backup role, a URL per role."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from kernel.db_admin import with_user_and_db
from portal.backup import create_backup_role, libpq


@pytest.fixture(scope="session")
def backup_role(cluster) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A BYPASSRLS read-only role in the test cluster (made with the superuser URL)."""
    role = f"yk_backup_{cluster.suffix}"
    create_backup_role(cluster.admin_url, role)
    yield role
    engine = create_engine(normalise_url(cluster.admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def reader_url(cluster, backup_role):  # type: ignore[no-untyped-def]
    """libpq URL of a database in the cluster as the BYPASSRLS backup role (sees every tenant's rows)."""
    def _url(database: str) -> str:
        return libpq(with_user_and_db(cluster.admin_url, backup_role, database))
    return _url


@pytest.fixture
def scratch(cluster):  # type: ignore[no-untyped-def]
    """Make databases copied from the template (or empty) that are dropped after the test."""
    made: list[str] = []

    def _make(kind: str, empty: bool = False) -> dict[str, str]:
        made.append(kind)
        urls = cluster.create_empty(kind) if empty else cluster.create_from_template(kind)
        return {**urls, "db": cluster.db(kind), "owner_libpq": libpq(urls["DATABASE_OWNER_URL"])}

    yield _make
    for kind in made:
        cluster.drop(kind)


# --- a live gunicorn, as in production, on loopback -----------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
LIVE_SECRET = "ops-faults-secret-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """gunicorn -c gunicorn.conf.py serving wsgi:app with the given database and settings."""

    def __init__(self, urls: dict[str, str], log: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": urls["SQLALCHEMY_DATABASE_URI"],
                    "DATABASE_OWNER_URL": urls["DATABASE_OWNER_URL"], "SECRET_KEY": LIVE_SECRET,
                    "PORTAL_ENV": "development", "DEV_LOGIN_ENABLED": "1", "PORT": str(self.port),
                    "HOST": "127.0.0.1", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1", **env}
        self.expected_workers = int(self.env["WEB_CONCURRENCY"])
        self.log = log
        self.process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def start(self) -> Gunicorn:
        handle = self.log.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
                                        cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                # /healthz answers as soon as the first worker is up, but the master forks the others
                # one after another (gunicorn sleeps a random 0-0.1 s between spawns): a test that
                # counts or kills workers needs all of them, so wait for that too.
                if (requests.get(self.url + "/healthz", timeout=1).status_code == 200
                        and len(self.workers()) == self.expected_workers):
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start {self.expected_workers} workers within 30 s")

    def workers(self) -> list[int]:
        import psutil

        assert self.process is not None
        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def login_session(base: str, tenant: str, email: str) -> requests.Session:
    """A requests session logged in through the development login (CSRF token included)."""
    http = requests.Session()
    page = http.get(base + "/login", timeout=10)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    data = {"tenant": tenant, "email": email, "csrf_token": token.group(1) if token else ""}
    response = http.post(base + "/dev-login", data=data, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    return http


@pytest.fixture(scope="module")
def live_db(cluster):  # type: ignore[no-untyped-def]
    kind = "faults"
    urls = cluster.create_from_template(kind)
    yield {**urls, "db": cluster.db(kind)}
    cluster.drop(kind)


@pytest.fixture
def gunicorn(live_db, tmp_path):  # type: ignore[no-untyped-def]
    """Start a gunicorn (call with extra environment); stopped after the test."""
    started: list[Gunicorn] = []

    def _start(**env: str) -> Gunicorn:
        server = Gunicorn(live_db, tmp_path / f"gunicorn-{len(started)}.log", **env).start()
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()
