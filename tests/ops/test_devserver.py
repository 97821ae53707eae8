"""The README's first command: `make run` (devtools.devserver) starts everything and stops everything.

Runs the real devserver with its own embedded PostgreSQL in a scratch directory (not the developer's
var/pgdata), on free ports: migrations, demo data, gunicorn and the local OpenID provider come up,
/readyz answers at the migration head, and a SIGINT or SIGTERM sent to the devserver process alone
stops gunicorn and the database.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from portal.app import migration_head

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_make_run_starts_the_portal_and_a_signal_stops_everything(stop_signal: signal.Signals) -> None:
    # Under ROOT/var, not /tmp: the embedded PostgreSQL runs as its own user when we are root and
    # must be able to reach its data directory.
    var = ROOT / "var" / f"devserver-test-{uuid.uuid4().hex[:8]}"
    var.mkdir(parents=True)
    var.chmod(0o755)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    # The mail sink too gets a free port: its default 8025 may be taken (another `make run`, a test's sink).
    mail_port = _free_port()
    env.update({"YOKOTEN_VAR": str(var), "PORT": str(port), "SSO_DEV_PROVIDER_PORT": str(_free_port()),
                "DEV_SMTP_PORT": str(mail_port),
                "GUNICORN_ACCESS_LOG": str(var / "access.log")})
    log = (var / "devserver.log").open("wb")
    # start_new_session: the signal goes to the devserver process alone, never to a process group.
    # SIGINT starts ignored, as for `make run &` from a script (a non-interactive shell does that).
    process = subprocess.Popen([sys.executable, "-m", "devtools.devserver"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        # The banner comes a moment after gunicorn answers: wait for it too.
        while time.monotonic() < deadline and process.poll() is None:
            output = (var / "devserver.log").read_text(errors="replace")
            if "Press Ctrl-C" in output:
                break
            time.sleep(0.3)
        output = (var / "devserver.log").read_text(errors="replace")
        assert ready is not None and ready.status_code == 200, output[-3000:]
        assert migration_head() in ready.text
        assert "Yokoten is running" in output and "132055" in output  # the demo accounts are listed
        assert f"Mail sink on 127.0.0.1:{mail_port}" in output
        login = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "ログイン" in login.text

        process.send_signal(stop_signal)
        assert process.wait(timeout=40) == 0
        output = (var / "devserver.log").read_text(errors="replace")
        assert "PostgreSQL stopped." in output, output[-3000:]
        assert not (var / "pgdata" / "postmaster.pid").exists()
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    finally:
        if process.poll() is None:
            # Its own session: the whole group goes (gunicorn too), never just the devserver.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        pid_file = var / "pgdata" / "postmaster.pid"
        if pid_file.exists():  # the test failed half-way: do not leave a server behind
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
            except (OSError, ValueError):
                pass
            time.sleep(1)
        shutil.rmtree(var, ignore_errors=True)


def test_a_taken_mail_sink_port_is_said_clearly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from devtools import devserver

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        # The default taken, nothing chosen: a free port instead, and the developer is told why.
        monkeypatch.delenv("DEV_SMTP_PORT", raising=False)
        monkeypatch.setattr(devserver, "DEFAULT_SMTP_SINK_PORT", taken)
        other = devserver._mail_sink_port()
        assert other != taken
        assert f"127.0.0.1:{taken}, the mail sink's default, is already taken" in capsys.readouterr().out
        # A port the developer chose and that is taken: refused, naming the setting to change.
        monkeypatch.setenv("DEV_SMTP_PORT", str(taken))
        with pytest.raises(SystemExit, match=f"127.0.0.1:{taken} \\(DEV_SMTP_PORT\\) is already taken"):
            devserver._mail_sink_port()
