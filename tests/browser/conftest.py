"""A live portal (real HTTP, real commits, CSRF on) on 127.0.0.1 and a real Chromium via Playwright.

The live server uses its own database copied from the migrated template, so browser journeys never
see the rolled-back work of in-process tests. Journeys create what they need with distinct names.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import BASE_CONFIG, ROLE_ACCOUNTS
from tests.live_server import make_live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


class LiveServer:
    """The app on a threaded werkzeug server that, like gunicorn, runs each response's close callbacks (the
    after-response send of its mails) also when the browser reset the connection (tests/live_server.py)."""

    def __init__(self, app: Flask):
        self.app = app
        self.server = make_live_server(app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(cluster) -> Flask:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    urls = cluster.create_from_template("live")
    return create_app({**BASE_CONFIG, **urls, "WTF_CSRF_ENABLED": True, "TESTING": False})


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(live_app)
    server.start()
    yield server
    server.stop()


_shared: dict[str, object] = {"users": 0}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the whole run, shared with the other browser suites (tests/a11y imports this
    fixture): Playwright's sync API allows one running instance per thread."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is required (make test installs it)")
    if "browser" not in _shared:
        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = _shared["playwright"].chromium.launch(  # type: ignore[attr-defined]
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    _shared["users"] = int(_shared["users"]) + 1  # type: ignore[call-overload]
    yield _shared["browser"]
    _shared["users"] = int(_shared["users"]) - 1  # type: ignore[call-overload]
    if not _shared["users"]:
        _shared.pop("browser").close()  # type: ignore[attr-defined]
        _shared.pop("playwright").stop()  # type: ignore[attr-defined]


@pytest.fixture
def page(browser, live_server: LiveServer, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def new_page(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    """Open further independent browser sessions (several users at once in one journey)."""
    contexts = []

    def _open():  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def live_mail(live_app: Flask) -> Iterator[Any]:
    """The tests' SMTP sink (aiosmtpd on loopback) as the live portal's mail server. No outbox worker runs:
    a mail arrives only if the request's after-response send delivers it (kernel.notifications.outbox)."""
    from devtools.mail_sink import MailSink

    sink = MailSink().start()
    previous = {key: live_app.config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    live_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_SECURITY="none")
    try:
        yield sink
    finally:
        live_app.config.update(previous)
        sink.stop()


def dev_login(page, who: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the development login page by clicking the demo account's button."""
    _tenant, email = ROLE_ACCOUNTS[who] if who in ROLE_ACCOUNTS else who.split(":", 1)
    page.goto("/login")
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url("**/")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
