"""OpenID Connect Back-Channel Logout (issue 23, point 2): the IdP ends portal sessions.

The identity providers here are small key servers on 127.0.0.1 (discovery + JWKS, fetched by the
portal through its outbound client) whose private keys the test holds, so that every defect of a
logout token can be made. The same flow against a certified provider (oidc-provider) is in
test_node_provider.py. Sessions are real server-side sessions with their cookies."""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Optional

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import as_tenant, bind_tenant
from tenants.models import AuthSession
from tenants.services import NewUser, create_user
from tests.sso.conftest import KOTO, OME, configure

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class KeyServer:
    """An IdP as far as back-channel logout needs one: its discovery document, its keys, its tokens."""

    url: str
    key: RSAKey
    server: Any
    thread: threading.Thread

    def logout_token(self, aud: str, *, key: Optional[Any] = None, alg: str = "RS256",
                     header: Optional[dict[str, Any]] = None, drop: tuple[str, ...] = (), **claims: Any) -> str:
        body = {"iss": self.url, "aud": aud, "iat": int(time.time()), "jti": secrets.token_hex(16),
                "events": {EVENT: {}}, **claims}
        for name in drop:
            body.pop(name, None)
        signing = key or self.key
        return jwt.encode({"alg": alg, "kid": signing.kid, "typ": "logout+jwt", **(header or {})}, body, signing,
                          algorithms=[alg])

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


def _start_key_server() -> KeyServer:
    key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})
    state: dict[str, str] = {}

    @Request.application
    def application(request: Request) -> Response:
        base = state["url"]
        if request.path == "/.well-known/openid-configuration":
            return Response(json.dumps({
                "issuer": base, "authorization_endpoint": base + "/auth", "token_endpoint": base + "/token",
                "jwks_uri": base + "/jwks", "id_token_signing_alg_values_supported": ["RS256"],
                "backchannel_logout_supported": True, "backchannel_logout_session_supported": True}),
                mimetype="application/json")
        if request.path == "/jwks":
            return Response(json.dumps({"keys": [key.as_dict(private=False)]}),
                            mimetype="application/json")
        return Response("not found", status=404)

    server = make_server("127.0.0.1", 0, application, threaded=True)
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return KeyServer(state["url"], key, server, thread)


@pytest.fixture(scope="module")
def idp_ome() -> Iterator[KeyServer]:
    server = _start_key_server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def idp_koto() -> Iterator[KeyServer]:
    server = _start_key_server()
    yield server
    server.stop()


@dataclass
class Person:
    tenant: str
    user_id: int
    subject: str


def _person(app: Flask, tenant: str, issuer: str, subject: str) -> Person:
    with app.app_context():
        with as_tenant(tenant):
            user = create_user(NewUser(tenant, f"{subject}@{tenant}.example.jp", subject, ("member",), issuer, subject))
            user_id = user.id
        db.session.commit()
        db.session.remove()
    return Person(tenant, user_id, subject)


def _session(app: Flask, person: Person, sid: Optional[str]) -> FlaskClient:
    """A logged-in browser of ``person``: a server-side SSO session (with the IdP's sid) and its cookie."""
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with app.app_context():
        bind_tenant(person.tenant, person.user_id)
        db.session.add(AuthSession(tenant_id=person.tenant, id=hashlib.sha256(secret.encode()).hexdigest(),
                                   user_id=person.user_id, created_at=now, last_seen_at=now, login_method="sso",
                                   sso_sid=sid))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update({"tid": person.tenant, "sid": secret, "uid": person.user_id})
    return client


def _logged_in(client: FlaskClient) -> bool:
    response = client.get("/profile/")
    return response.status_code == 200


def _open_sessions(app: Flask, tenant: str) -> int:
    with app.app_context():
        bind_tenant(tenant)
        count = db.session.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.ended_at.is_(None)))
        db.session.remove()
    return int(count or 0)


def _post(app: Flask, tenant: str, token: Any) -> Any:
    data = {} if token is None else {"logout_token": token}
    return app.test_client().post(f"/login/{tenant}/backchannel-logout", data=data)


@pytest.fixture
def ome(app: Flask, idp_ome: KeyServer) -> KeyServer:
    configure(app, OME, idp_ome.url)  # client id yokoten-132055
    return idp_ome


def test_a_logout_token_with_sid_ends_that_session_only(app: Flask, ome: KeyServer) -> None:
    kaori = _person(app, OME, ome.url, "kaori")
    laptop, phone = _session(app, kaori, "sid-laptop"), _session(app, kaori, "sid-phone")
    assert _logged_in(laptop) and _logged_in(phone)
    response = _post(app, OME, ome.logout_token("yokoten-132055", sub="kaori", sid="sid-laptop"))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert not _logged_in(laptop), "the session the IdP ended is over at the next request"
    assert _logged_in(phone)
    with app.app_context():
        bind_tenant(OME)
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.backchannel_logout")).all()[-1]
        assert entry.object_id == str(kaori.user_id)
        db.session.remove()


def test_sub_alone_ends_every_sso_session_of_the_person_and_sid_alone_ends_its_session(app: Flask,
                                                                                        ome: KeyServer) -> None:
    ken, other = _person(app, OME, ome.url, "ken"), _person(app, OME, ome.url, "other")
    first, second, bystander = _session(app, ken, "a"), _session(app, ken, None), _session(app, other, "b")
    assert _post(app, OME, ome.logout_token("yokoten-132055", sub="ken")).status_code == 200
    assert not _logged_in(first) and not _logged_in(second) and _logged_in(bystander)
    assert _post(app, OME, ome.logout_token("yokoten-132055", sid="b")).status_code == 200
    assert not _logged_in(bystander)
    # Nobody with that identity: done, nothing to end (200 as the spec says).
    assert _post(app, OME, ome.logout_token("yokoten-132055", sub="nobody")).status_code == 200


def test_a_replayed_logout_token_is_refused(app: Flask, ome: KeyServer) -> None:
    mio = _person(app, OME, ome.url, "mio")
    _session(app, mio, "s1")
    token = ome.logout_token("yokoten-132055", sub="mio", sid="s1")
    assert _post(app, OME, token).status_code == 200
    again = _session(app, mio, "s1")  # a new login that happens to get the same sid
    assert _post(app, OME, token).status_code == 400
    assert _logged_in(again)


def _bad_tokens(server: KeyServer) -> dict[str, Any]:
    aud = "yokoten-132055"
    stranger = RSAKey.generate_key(2048, parameters={"kid": server.key.kid})
    return {
        "missing": None,
        "empty": "",
        "garbage": "this is not a jwt",
        "three garbage parts": "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
        "too long": "a" * 20000,
        "signed by another key": server.logout_token(aud, key=stranger, sub="victim"),
        "HS256 with a guessable key": server.logout_token(aud, key=OctKey.import_key(b"k" * 32), alg="HS256",
                                                          header={"kid": server.key.kid}, sub="victim"),
        "another issuer": server.logout_token(aud, iss="https://evil.example.jp", sub="victim"),
        "another audience": server.logout_token("yokoten-131083", sub="victim"),
        "no events": server.logout_token(aud, drop=("events",), sub="victim"),
        "events without the logout event": server.logout_token(aud, events={"urn:other": {}}, sub="victim"),
        "event not an object": server.logout_token(aud, events={EVENT: "yes"}, sub="victim"),
        "with a nonce (an ID token)": server.logout_token(aud, nonce="n", sub="victim"),
        "neither sub nor sid": server.logout_token(aud),
        "no jti": server.logout_token(aud, drop=("jti",), sub="victim"),
        "no iat": server.logout_token(aud, drop=("iat",), sub="victim"),
        "issued an hour ago": server.logout_token(aud, iat=int(time.time()) - 3600, sub="victim"),
        "issued in the future": server.logout_token(aud, iat=int(time.time()) + 3600, sub="victim"),
        "expired": server.logout_token(aud, exp=int(time.time()) - 600, sub="victim"),
        "sub not a string": server.logout_token(aud, sub=["victim"]),
        "typ of an access token": server.logout_token(aud, header={"typ": "at+jwt"}, sub="victim"),
    }


def test_bad_logout_tokens_answer_400_and_end_nothing(app: Flask, ome: KeyServer) -> None:
    victim = _person(app, OME, ome.url, "victim")
    browser = _session(app, victim, "sid-v")
    for name, token in _bad_tokens(ome).items():
        response = _post(app, OME, token)
        assert response.status_code == 400, name
        assert response.get_json()["error"] == "invalid_request", name
        assert _logged_in(browser), name
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "auth.backchannel_logout")) == 0
        db.session.remove()


def test_unknown_municipality_or_one_without_sso_answers_400(app: Flask, ome: KeyServer) -> None:
    token = ome.logout_token("yokoten-132055", sub="x")
    for code in ("999999", "abc", KOTO):  # KOTO has no provider in this test
        assert _post(app, code, token).status_code == 400


def test_koto_provider_can_never_end_ome_sessions(app: Flask, ome: KeyServer, idp_koto: KeyServer) -> None:
    """江東区's IdP (or its admin) cannot end 青梅市's sessions: its tokens fail at 青梅市's endpoint (issuer,
    audience, key), and at 江東区's endpoint they reach 江東区's people only."""
    configure(app, KOTO, idp_koto.url)
    ome_person = _person(app, OME, ome.url, "shared-sub")
    koto_person = _person(app, KOTO, idp_koto.url, "shared-sub")
    ome_browser, koto_browser = _session(app, ome_person, "same-sid"), _session(app, koto_person, "same-sid")
    forged = [idp_koto.logout_token("yokoten-132055", sub="shared-sub", sid="same-sid"),
              idp_koto.logout_token("yokoten-131083", sub="shared-sub", sid="same-sid"),
              idp_koto.logout_token("yokoten-132055", iss=ome.url, sub="shared-sub")]
    for token in forged:
        assert _post(app, OME, token).status_code == 400
    assert _logged_in(ome_browser) and _logged_in(koto_browser)
    assert _post(app, KOTO, idp_koto.logout_token("yokoten-131083", sid="same-sid")).status_code == 200
    assert not _logged_in(koto_browser)
    assert _logged_in(ome_browser), "a sid known in another municipality is not this one's"
    assert _open_sessions(app, OME) >= 1


def test_the_id_tokens_sid_is_recorded_at_login(app: Flask) -> None:
    from tenants.auth import start_session

    person_id = None
    with app.test_request_context("/"):
        with as_tenant(OME):
            user = create_user(NewUser(OME, "sid@132055.example.jp", "sid", ("member",), "https://i.example.jp", "s"))
            person_id = user.id
        start_session(user, "sso", sso_sid="idp-session-1")
        db.session.commit()
        db.session.remove()
    with app.app_context():
        bind_tenant(OME)
        row = db.session.scalar(select(AuthSession).where(AuthSession.user_id == person_id))
        assert row is not None and row.sso_sid == "idp-session-1"
        db.session.remove()
