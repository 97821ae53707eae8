"""Against a stricter, certified provider (issue 23 point 9): npm's oidc-provider (panva, OpenID
Certified) on 127.0.0.1, from tests/sso/node_op (installed by scripts/bootstrap.sh with `npm ci`).

It requires PKCE S256, authenticates 青梅市's client with private_key_jwt (the portal's public key
registered as the client's JWKS) and 江東区's with client_secret_basic, puts no e-mail into ID tokens
(the portal reads userinfo), and sends back-channel logout tokens. Our portal runs as the Flask test
client (not an HTTP server), so the provider POSTs its logout token to a small recorder on loopback,
and the test hands exactly that token on to the portal's endpoint."""
from __future__ import annotations

import json
import re
import select as io_select
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import AuthSession, User
from tests.sso.conftest import KOTO, OME, configure, start_login

NODE_OP = Path(__file__).with_name("node_op")


def _missing() -> Optional[str]:
    if shutil.which("node") is None:
        return "node is not installed: the tests against oidc-provider need Node.js 20 or newer with npm"
    if not (NODE_OP / "node_modules" / "oidc-provider").is_dir():
        return "tests/sso/node_op/node_modules is missing: run scripts/bootstrap.sh (it runs `npm ci` there)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@dataclass
class Recorder:
    """Where the provider sends its back-channel logout tokens (one list per path)."""

    url: str
    server: Any
    received: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def wait_for(self, path: str, timeout: float = 10) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.received.get(path):
                return self.received[path][-1]
            time.sleep(0.05)
        raise AssertionError(f"no back-channel logout token arrived at {path}")


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    holder: dict[str, Recorder] = {}

    @Request.application
    def application(request: Request) -> Response:
        holder["r"].received.setdefault(request.path, []).append(dict(request.form))
        return Response(status=200)

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    holder["r"] = Recorder(f"http://127.0.0.1:{server.server_port}", server)
    yield holder["r"]
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@dataclass
class NodeProvider:
    url: str
    process: subprocess.Popen  # type: ignore[type-arg]
    log: Any

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()

    def set_account(self, sub: str, **claims: Any) -> None:
        response = requests.put(f"{self.url}/test/accounts/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text


def _start(tmp_path: Path, clients: list[dict[str, Any]]) -> NodeProvider:
    config = tmp_path / "op.json"
    config.write_text(json.dumps({"clients": clients, "accounts": {}}), encoding="utf-8")
    log = (tmp_path / "op.log").open("w")
    process = subprocess.Popen(["node", str(NODE_OP / "provider.mjs"), str(config)], cwd=NODE_OP,
                               stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # A line or the end of the output, or the deadline: readline alone would wait for ever on a stuck provider.
        if not io_select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
            break
        line = process.stdout.readline()
        if line.startswith("READY "):
            return NodeProvider(line.split()[1], process, log)
        if not line and process.poll() is not None:
            break
    NodeProvider("", process, log).stop()
    raise AssertionError(f"oidc-provider did not start: {(tmp_path / 'op.log').read_text()[-2000:]}")


@pytest.fixture
def node_op(app: Flask, portal_key: str, recorder: Recorder, tmp_path: Path) -> Iterator[NodeProvider]:
    """The provider with two clients: 青梅市 (private_key_jwt, the portal's JWKS) and 江東区 (secret)."""
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    common = {"grant_types": ["authorization_code"], "response_types": ["code"],
              "backchannel_logout_session_required": True,
              "post_logout_redirect_uris": ["http://localhost/login"]}
    provider = _start(tmp_path, [
        {**common, "client_id": f"yokoten-{OME}", "token_endpoint_auth_method": "private_key_jwt",
         "token_endpoint_auth_signing_alg": "RS256", "jwks": jwks,
         "redirect_uris": [f"http://localhost/login/{OME}/callback"],
         "backchannel_logout_uri": f"{recorder.url}/{OME}"},
        {**common, "client_id": f"yokoten-{KOTO}", "client_secret": "s3cret-koto-0123456789",
         "token_endpoint_auth_method": "client_secret_basic",
         "redirect_uris": [f"http://localhost/login/{KOTO}/callback"],
         "backchannel_logout_uri": f"{recorder.url}/{KOTO}"},
    ])
    yield provider
    provider.stop()


def _at_provider(person: requests.Session, authorize_url: str, sub: str) -> str:
    """The person at the provider: its login page, then the redirects back; returns our callback path."""
    page = person.get(authorize_url, allow_redirects=True, timeout=10)
    assert page.status_code == 200 and "/interaction/" in page.url, page.text[:500]
    response = person.post(page.url.rstrip("/") + "/login", data={"login": sub}, allow_redirects=False, timeout=10)
    for _hop in range(5):
        assert response.status_code in (302, 303), response.text[:500]
        location = response.headers["Location"]
        if location.startswith("http://localhost/"):
            parts = urlsplit(location)
            return f"{parts.path}?{parts.query}"
        response = person.get(requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=10)
    raise AssertionError("the provider did not send the browser back")


def _login(client: FlaskClient, person: requests.Session, tenant: str, sub: str) -> Any:
    return client.get(_at_provider(person, start_login(client, tenant), sub))


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/profile/").status_code == 200


def _user(app: Flask, tenant: str, sub: str) -> tuple[Optional[str], list[Optional[str]]]:
    """(e-mail, sids of the open sessions) of the user with this subject."""
    with app.app_context():
        bind_tenant(tenant)
        user = db.session.scalar(select(User).where(User.subject == sub))
        assert user is not None
        sids = list(db.session.scalars(select(AuthSession.sso_sid).where(AuthSession.user_id == user.id,
                                                                         AuthSession.ended_at.is_(None))))
        email = user.email
        db.session.remove()
    return email, sids


def test_login_with_private_key_jwt_pkce_and_userinfo(app: Flask, node_op: NodeProvider) -> None:
    configure(app, OME, node_op.url, client_secret="", token_auth_method="private_key_jwt",
              scopes="openid email profile")
    node_op.set_account("kaori", email="kaori@ome.example.jp", email_verified=True, name="青梅 かおり")
    client = app.test_client()
    response = _login(client, requests.Session(), OME, "kaori")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert _logged_in(client)
    email, sids = _user(app, OME, "kaori")
    assert email == "kaori@ome.example.jp", "the e-mail came from userinfo (the ID token has none)"
    assert len(sids) == 1 and sids[0], "the ID token's sid is recorded with the session"


def test_the_provider_refuses_what_the_portal_never_sends(app: Flask, node_op: NodeProvider) -> None:
    """The provider is as strict as promised: without PKCE, or with a client secret where the client
    is registered for private_key_jwt, it refuses (so the login above proves what it used)."""
    configure(app, OME, node_op.url, client_secret="", token_auth_method="private_key_jwt")
    authorize_url = start_login(app.test_client(), OME)
    parts = urlsplit(authorize_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if not k.startswith("code_challenge")}
    refused = requests.get(urlunsplit(parts._replace(query=urlencode(query))), allow_redirects=False, timeout=10)
    assert refused.status_code in (302, 303, 400)
    assert "error=invalid_request" in refused.headers.get("Location", "") or refused.status_code == 400
    token = requests.post(f"{node_op.url}/token", auth=(f"yokoten-{OME}", "guess"), timeout=10,
                          data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "http://localhost/"})
    assert token.status_code in (400, 401) and token.json()["error"] == "invalid_client"


def test_client_secret_basic_login_against_the_strict_provider(app: Flask, node_op: NodeProvider) -> None:
    configure(app, KOTO, node_op.url, client_secret="s3cret-koto-0123456789")
    node_op.set_account("taro", email="taro@koto.example.jp", email_verified=True, name="江東 太郎")
    client = app.test_client()
    assert _login(client, requests.Session(), KOTO, "taro").status_code == 302
    assert _logged_in(client)


def test_back_channel_logout_from_the_provider_ends_the_portal_session(app: Flask, node_op: NodeProvider,
                                                                      recorder: Recorder) -> None:
    configure(app, OME, node_op.url, client_secret="", token_auth_method="private_key_jwt")
    configure(app, KOTO, node_op.url, client_secret="s3cret-koto-0123456789")
    node_op.set_account("mio", email="mio@ome.example.jp", email_verified=True, name="青梅 みお")
    node_op.set_account("ken", email="ken@koto.example.jp", email_verified=True, name="江東 けん")
    mio_portal, mio_browser = app.test_client(), requests.Session()
    ken_portal = app.test_client()
    assert _login(mio_portal, mio_browser, OME, "mio").status_code == 302
    assert _login(ken_portal, requests.Session(), KOTO, "ken").status_code == 302
    recorder.received.clear()
    # Mio logs out at the provider (its own logout page): it tells the portal over the back channel.
    page = mio_browser.get(f"{node_op.url}/session/end", timeout=10)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    assert xsrf, page.text[:500]
    mio_browser.post(f"{node_op.url}/session/end/confirm", data={"xsrf": xsrf.group(1), "logout": "yes"},
                     allow_redirects=False, timeout=10)
    delivered = recorder.wait_for(f"/{OME}")
    assert set(delivered) == {"logout_token"}
    # 江東区's endpoint refuses 青梅市's token (another client: aud); nothing of 江東区 ends.
    assert ken_portal.post(f"/login/{KOTO}/backchannel-logout", data=delivered).status_code == 400
    assert _logged_in(ken_portal) and _logged_in(mio_portal)
    response = mio_portal.post(f"/login/{OME}/backchannel-logout", data=delivered)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert not _logged_in(mio_portal), "the portal session ended with the provider's"
    assert _logged_in(ken_portal)
    assert _user(app, OME, "mio")[1] == []
    # The same token again is a replay.
    assert app.test_client().post(f"/login/{OME}/backchannel-logout", data=delivered).status_code == 400
