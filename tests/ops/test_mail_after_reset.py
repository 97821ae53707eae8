"""Production's server sends a request's mails after its response even when the browser reset the connection.

The after-response send (kernel.notifications.outbox) runs in the response's ``close()``, which the WSGI server
calls when the request is over. Chromium closes the connection of a redirect whose body it does not read, which
resets it; werkzeug's development server then skipped ``close()`` (tests/live_server.py, tests/browser/
test_live_server.py). Here the portal runs under gunicorn with gunicorn.conf.py as in production, no outbox worker
beside it, and the client resets the connection as soon as it has the status line: the mail still arrives.
"""
from __future__ import annotations

import re
import socket
import struct
from collections.abc import Iterator
from html import unescape

import pytest
import requests

from devtools.mail_sink import MailSink
from tests.ops.conftest import login_session


@pytest.fixture
def sink() -> Iterator[MailSink]:
    mail_sink = MailSink().start()
    yield mail_sink
    mail_sink.stop()


def _hidden(page: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, one-time token) of the page's POST form to ``action``."""
    form = re.search(r'<form\b[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form to {action}"
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", form.group(1)):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    return fields


def _post_and_reset(base: str, path: str, http: requests.Session, fields: dict[str, str]) -> bytes:
    """POST the form on a raw connection, read only the status line, then reset the connection (RST)."""
    body = "&".join(f"{requests.utils.quote(k)}={requests.utils.quote(v)}" for k, v in fields.items()).encode()
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies)
    port = int(base.rsplit(":", 1)[1])
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookies}\r\n"
                   f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                   + body)
    status = b""
    while len(status) < 12:
        chunk = client.recv(12 - len(status))
        assert chunk, "connection closed before the status line"
        status += chunk
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    return status


def test_a_reset_connection_still_gets_the_requests_mail_sent_under_gunicorn(gunicorn, sink: MailSink) -> None:  # type: ignore[no-untyped-def]
    server = gunicorn(SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), SMTP_SECURITY="none", WEB_CONCURRENCY="1")
    member = login_session(server.url, "132055", "member@ome.example.jp")
    title = "受付番号の発券アプリ（接続リセット）"
    new = member.get(server.url + "/cases/new", timeout=30).text
    created = member.post(server.url + "/cases/new", data={**_hidden(new, "/cases/new"), "title": title,
                                                           "summary": "窓口の番号札をスマートフォンで受け取る。",
                                                           "stage": "implemented"},
                          allow_redirects=False, timeout=30)
    assert created.status_code in (302, 303), created.text[:500]
    case_path = created.headers["Location"].replace(server.url, "")
    page = member.get(server.url + case_path, timeout=30).text

    status = _post_and_reset(server.url, case_path + "/propose", member, _hidden(page, case_path + "/propose"))

    assert status in (b"HTTP/1.1 302", b"HTTP/1.1 303")
    mails = sink.wait_for(1, timeout=60)  # no outbox worker runs: only the request's after-response send
    assert [m.to for m in mails if title in m.subject] == ["admin@ome.example.jp"]
