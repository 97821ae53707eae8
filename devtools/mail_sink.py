"""A local SMTP server (aiosmtpd) on loopback that keeps every mail: ``make run``'s sink and the tests' sink.

It writes each mail as an .eml file into a directory (shown on /dev/mail by portal.devmail) and keeps
it in memory; ``wait_for(n)`` waits on a condition until n mails arrived (no sleep-and-hope).
"""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any, Optional

from portal.devmail import CaughtMail, parse


class MailSink:
    """An SMTP server on loopback that keeps every mail (in memory, and as .eml files in ``directory``)."""

    def __init__(self, directory: Optional[Path] = None, port: int = 0) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.mails: list[CaughtMail] = []
        self._changed = threading.Condition()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        data = envelope.original_content or envelope.content
        name = f"{time.time_ns()}.eml"
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / name).write_bytes(data)
        with self._changed:
            self.mails.append(parse(data, name))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> MailSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CaughtMail]:
        """Block until at least ``count`` mails arrived (a condition, not a sleep); returns them all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.mails) >= count, timeout=timeout):
                raise TimeoutError(f"expected {count} mails, got {len(self.mails)}")
            return list(self.mails)

    def clear(self) -> None:
        with self._changed:
            self.mails.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

