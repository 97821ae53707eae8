"""Development only: the page showing the mails caught by the local SMTP sink (devtools.mail_sink).

``make run`` starts the sink on 127.0.0.1 (``DEV_SMTP_PORT``, default 8025), points ``SMTP_HOST`` /
``SMTP_PORT`` at it and sets ``DEV_MAIL_DIR``; every mail the portal sends lands there as an .eml
file and is shown on ``/dev/mail``. The page exists only when ``DEV_MAIL_DIR`` is set and never in
production; the tests use the same sink (in memory) on loopback.
"""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")


@dataclass
class CaughtMail:
    name: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


def parse(data: bytes, name: str = "") -> CaughtMail:
    return CaughtMail(name, email.message_from_bytes(data, policy=email.policy.default))


def _directory() -> Path:
    folder = current_app.config.get("DEV_MAIL_DIR")
    if not folder or current_app.config.get("PORTAL_ENV") == "production":
        abort(404)
    return Path(folder)


def caught_mails(folder: Path, limit: int = 100) -> list[CaughtMail]:
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit] if folder.is_dir() else []
    return [parse(path.read_bytes(), path.name) for path in files]


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("devmail/index.html", mails=caught_mails(_directory()))


@bp.get("/<name>")
def show(name: str) -> ResponseReturnValue:
    folder = _directory()
    path = folder / name
    if not name.endswith(".eml") or "/" in name or name.startswith(".") or not path.is_file():
        abort(404)
    return render_template("devmail/show.html", mail=parse(path.read_bytes(), name))


def init_app(app: Flask) -> None:
    """Register the page only in development with a sink directory (never in production)."""
    if app.config.get("DEV_MAIL_DIR") and app.config.get("PORTAL_ENV") != "production":
        app.register_blueprint(bp)
