"""Debian's PgBouncer in transaction pooling mode, on a free loopback port, in front of a test server.

Transaction pooling hands a server connection to a client for one transaction only, then to the next
client: nothing a transaction leaves in the session (``SET``, a non-local ``set_config``, temporary
tables, advisory locks) may be relied on, and nothing of one tenant may survive into another's
transaction. The portal binds the tenant with ``set_config(…, true)`` (transaction-local), so it runs
through PgBouncer unchanged; the isolation tests prove it (``YOKOTEN_PGBOUNCER=1``, see the Makefile).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg2

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
RUN_AS = "embedded_postgres"  # PgBouncer refuses to run as root


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgBouncer:
    """``[databases] * = host port`` (every database of the server), plus aliases with their own pool size."""

    def __init__(self, server_url: str, users: list[str], pool_size: int = 8,
                 aliases: dict[str, tuple[str, int]] | None = None):
        parts = urlsplit(server_url)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]  # the embedded server listens on a socket
        self.server_host, self.server_port = socket_dir or parts.hostname or "127.0.0.1", parts.port or 5432
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="yk-pgb-"))
        self.dir.chmod(0o755)
        self.users, self.pool_size, self.aliases = users, pool_size, aliases or {}
        self.process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def url(self, url: str, database: str | None = None) -> str:
        """The same user and database as ``url`` (or ``database``), through PgBouncer."""
        parts = urlsplit(url)
        netloc = f"{parts.username}@127.0.0.1:{self.port}"
        path = f"/{database}" if database else parts.path
        return urlunsplit((parts.scheme, netloc, path, "", ""))  # no ?host=: that would bypass PgBouncer

    def start(self) -> PgBouncer:
        alias_lines = "".join(f"{alias} = host={self.server_host} port={self.server_port} dbname={db} "
                              f"pool_size={size}\n" for alias, (db, size) in self.aliases.items())
        (self.dir / "userlist.txt").write_text("".join(f'"{user}" ""\n' for user in self.users))
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n" + alias_lines
            + f"* = host={self.server_host} port={self.server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.dir / 'userlist.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {self.pool_size}\nmax_client_conn = 200\n"
            # The portal's psycopg2 connections send nothing PgBouncer does not know; SQLAlchemy's
            # first-connect probes are plain statements.
            f"ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\npidfile = {self.dir / 'pgbouncer.pid'}\n"
            "admin_users = postgres\nserver_reset_query =\n")
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam(RUN_AS)
            for path in (self.dir, *self.dir.iterdir()):
                os.chown(path, user.pw_uid, user.pw_gid)
        command = [PGBOUNCER, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="pgbouncer",
                                 connect_timeout=2).close()
                return self
            except psycopg2.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.dir / "pgbouncer.log"
                    detail = log.read_text()[-1500:] if log.exists() else ""
                    raise RuntimeError(f"pgbouncer did not start: {detail}") from None
                time.sleep(0.05)

    def show(self, what: str) -> list[tuple]:  # type: ignore[type-arg]
        """``SHOW POOLS`` / ``SHOW SERVERS`` … on the admin console."""
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="pgbouncer")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f"SHOW {what}")
                return cur.fetchall()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
