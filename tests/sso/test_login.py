"""The login dance against two real OpenID providers (oidc-provider-mock) on 127.0.0.1."""
from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import AuthSession, User
from tests.sso.conftest import KOTO, OME, authorize, configure, dance, failures, sso_login, start_login

COOKIE = "yokoten_session"


def _user(app, tenant: str, **where):  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(tenant)
        query = select(User)
        for key, value in where.items():
            query = query.where(getattr(User, key) == value)
        users = db.session.scalars(query).all()
        result = [(u.id, u.tenant_id, u.email, u.issuer, u.subject, sorted(u.roles), u.display_name) for u in users]
        db.session.remove()
    return result


def test_authorization_request_uses_s256_pkce_state_and_nonce(client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    params = {k: v[0] for k, v in parse_qs(urlsplit(start_login(client, OME)).query).items()}
    assert urlsplit(start_login(client, OME)).netloc == urlsplit(idp_a.url).netloc
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["client_id"] == f"yokoten-{OME}"
    assert params["redirect_uri"] == f"http://localhost/login/{OME}/callback"
    assert "openid" in params["scope"].split()
    # The verifier never leaves the server: not in the URL, not in the (readable) session cookie.
    cookie = client.get_cookie(COOKIE).value
    payload = cookie.split(".")[0].lstrip(".")
    padded = payload + "=" * (-len(payload) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded)
    except ValueError:
        decoded = b""
    assert b"code_verifier" not in decoded and b"nonce" not in decoded


def test_first_login_provisions_with_mapped_roles_and_audits(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("alice", email="Alice@ome.example.jp", name="青梅 アリス", groups=["yokoten-admins", "other"])
    response = sso_login(client, OME, "alice")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    [(_id, tenant, email, issuer, subject, roles, name)] = _user(app, OME, subject="alice")
    assert (tenant, email, issuer, subject, name) == (OME, "alice@ome.example.jp", idp_a.url, "alice", "青梅 アリス")
    assert roles == ["member", "tenant_admin"]
    page = client.get("/admin/users")  # the mapped role works at once
    assert page.status_code == 200 and "青梅 アリス" in page.get_data(as_text=True)


def test_group_claim_to_role_and_default_member(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("judy", email="judy@ome.example.jp", groups=["yokoten-judges"])
    idp_a.set_user("bob", email="bob@ome.example.jp", groups=["unmapped"])
    assert sso_login(client, OME, "judy").status_code == 302
    assert _user(app, OME, subject="judy")[0][5] == ["judge", "member"]
    other = app.test_client()
    assert sso_login(other, OME, "bob").status_code == 302
    assert _user(app, OME, subject="bob")[0][5] == ["member"]
    assert other.get("/admin/users").status_code == 403


def test_second_login_finds_the_same_user_by_issuer_and_subject(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("carol", email="carol@ome.example.jp", name="Carol")
    assert sso_login(client, OME, "carol").status_code == 302
    idp_a.set_user("carol", email="carol.new@ome.example.jp", name="Carol Renamed")
    again = app.test_client()
    assert sso_login(again, OME, "carol").status_code == 302
    [(_id, _t, email, _i, _s, _r, name)] = _user(app, OME, subject="carol")
    assert email == "carol@ome.example.jp" and name == "Carol Renamed"  # never re-identified by e-mail


def test_user_of_provider_b_never_lands_in_tenant_a(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, idp_b = two_tenants
    idp_b.set_user("dave", email="dave@koto.example.jp")
    # Dave logs in at 江東区 (provider B) normally …
    assert sso_login(client, KOTO, "dave").status_code == 302
    assert _user(app, KOTO, subject="dave")
    # … but a code of provider B presented to 青梅市's callback (with 青梅市's own state) is refused:
    attacker = app.test_client()
    at_a = start_login(attacker, OME)
    b_code = parse_qs(urlsplit(dance(app.test_client(), KOTO, "dave").callback_url).query)["code"][0]
    state = parse_qs(urlsplit(at_a).query)["state"][0]
    response = attacker.get(f"/login/{OME}/callback", query_string={"state": state, "code": b_code})
    assert response.status_code == 400
    assert failures(app, OME)[-1]["reason"] == "token_exchange_failed"
    # … and a callback that began at 江東区 cannot be finished at 青梅市.
    browser = app.test_client()
    back = dance(browser, KOTO, "dave").callback_url.replace(f"/login/{KOTO}/", f"/login/{OME}/")
    assert browser.get(back).status_code == 400
    assert _user(app, OME, subject="dave") == []
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(User).where(User.issuer == idp_b.url)) is None
        db.session.remove()


def test_same_subject_at_two_issuers_is_two_users(app, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, idp_b = two_tenants
    idp_a.set_user("same", email="same@ome.example.jp")
    idp_b.set_user("same", email="same@koto.example.jp")
    assert sso_login(app.test_client(), OME, "same").status_code == 302
    assert sso_login(app.test_client(), KOTO, "same").status_code == 302
    [a] = _user(app, OME, subject="same")
    [b] = _user(app, KOTO, subject="same")
    assert a[1:4] == (OME, "same@ome.example.jp", idp_a.url)
    assert b[1:4] == (KOTO, "same@koto.example.jp", idp_b.url)


def test_forged_state_is_400_and_audited(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("eve", email="eve@ome.example.jp")
    callback = dance(client, OME, "eve").callback_url
    forged = callback.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 400
    assert "ログインできませんでした" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "state_invalid"
    assert client.get("/login/132055/callback").status_code == 400  # no state at all
    assert _user(app, OME, subject="eve") == []
    assert client.get(callback).status_code == 302  # the forgeries changed nothing for the real login
    assert client.get(callback).status_code == 400  # which is usable once


def test_two_pending_logins_in_one_browser(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    """A double click or a second tab: the earlier login can still be finished (the new session then
    starts clean, so the other pending login is gone with the old session)."""
    idp_a, _ = two_tenants
    idp_a.set_user("tess", email="tess@ome.example.jp")
    first = start_login(client, OME)
    second = start_login(client, OME)
    assert client.get(authorize(first, "tess")).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get(authorize(second, "tess")).status_code == 400


def test_state_from_another_browser_is_refused(app, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("mallory", email="mallory@ome.example.jp")
    callback = dance(app.test_client(), OME, "mallory").callback_url  # started in the attacker's browser
    victim = app.test_client()
    assert victim.get(callback).status_code == 400  # login CSRF: the victim's browser never started it
    assert failures(app, OME)[-1]["reason"] == "state_invalid"


def test_replayed_callback_is_400(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("frank", email="frank@ome.example.jp")
    login = dance(client, OME, "frank")
    before = client.get_cookie(COOKIE).value  # the cookie that carried the pending login
    assert client.get(login.callback_url).status_code == 302
    replay = app.test_client()
    replay.set_cookie(COOKIE, before)
    response = replay.get(login.callback_url)
    assert response.status_code == 400
    assert failures(app, OME)[-1]["reason"] == "state_invalid"
    assert replay.get("/").status_code == 302  # and not logged in


def test_provider_error_is_400(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    url = start_login(client, OME)
    callback = authorize(url, "", action="deny")
    assert "error=access_denied" in callback
    response = client.get(callback)
    assert response.status_code == 400
    assert "IdP でログインが完了しませんでした" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "provider_error"


def test_invalid_or_used_code_is_400(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("grace", email="grace@ome.example.jp")
    url = start_login(client, OME)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(f"/login/{OME}/callback", query_string={"state": state, "code": "expired-or-forged"})
    assert response.status_code == 400
    assert failures(app, OME)[-1]["reason"] == "token_exchange_failed"
    # A code that was already redeemed (intercepted and used first) is refused at the token endpoint.
    client2 = app.test_client()
    login = dance(client2, OME, "grace")
    code = parse_qs(urlsplit(login.callback_url).query)["code"][0]
    used = requests.post(f"{idp_a.url}/oauth2/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": login.params["redirect_uri"],
        "client_id": f"yokoten-{OME}", "client_secret": "s3cret"})
    assert used.status_code == 200
    assert client2.get(login.callback_url).status_code == 400
    assert failures(app, OME)[-1]["reason"] == "token_exchange_failed"
    assert _user(app, OME, subject="grace") == []


def test_expired_id_token_is_refused(app, client, idp_expired) -> None:  # type: ignore[no-untyped-def]
    configure(app, OME, idp_expired.url)
    idp_expired.set_user("henry", email="henry@ome.example.jp")
    response = sso_login(client, OME, "henry")
    assert response.status_code == 400
    reason = failures(app, OME)[-1]
    assert reason["reason"] == "id_token_invalid" and "Expired" in reason["detail"]
    assert _user(app, OME, subject="henry") == []


def _tamper(monkeypatch, change):  # type: ignore[no-untyped-def]
    """Let the real code exchange happen, then alter the ID token before it is checked."""
    import tenants.sso.views as views

    real = views.exchange_code

    def exchange(*args, **kwargs):  # type: ignore[no-untyped-def]
        token = real(*args, **kwargs)
        token["id_token"] = change(token["id_token"])
        return token

    monkeypatch.setattr(views, "exchange_code", exchange)


def _b64(data: dict) -> str:  # type: ignore[type-arg]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(part: str) -> dict:  # type: ignore[type-arg]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _promote(id_token: str) -> str:
    """Add the admin group to the claims, keep the provider's signature."""
    header, payload, signature = id_token.split(".")
    return ".".join((header, _b64({**_claims(payload), "groups": ["yokoten-admins"]}), signature))


def _alg_none(id_token: str) -> str:
    """Unsigned token (alg none) with the admin group."""
    _header, payload, _signature = id_token.split(".")
    return ".".join((_b64({"alg": "none", "typ": "JWT"}), _b64({**_claims(payload), "groups": ["yokoten-admins"]}),
                     ""))


def _hs256_with_public_key(id_token: str) -> str:
    """Algorithm confusion: HS256 'signed' with the provider's public key material as the secret."""
    import hashlib
    import hmac

    header, payload, _signature = id_token.split(".")
    head = _b64({**_claims(header), "alg": "HS256"})
    body = _b64({**_claims(payload), "groups": ["yokoten-admins"]})
    mac = hmac.new(b"public-key-material", f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@pytest.mark.parametrize("change", [_promote, _alg_none, _hs256_with_public_key, lambda t: t[:-8] + "AAAAAAAA",
                                    lambda t: "not.a.jwt"], ids=["claims", "alg-none", "hs256", "signature", "junk"])
def test_tampered_id_token_is_refused(app, client, two_tenants, monkeypatch, change) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("ivan", email="ivan@ome.example.jp", groups=[])
    _tamper(monkeypatch, change)
    response = sso_login(client, OME, "ivan")
    assert response.status_code == 400
    assert failures(app, OME)[-1]["reason"] == "id_token_invalid"
    assert _user(app, OME, subject="ivan") == []


def test_id_token_of_another_provider_is_refused(app, client, two_tenants, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    idp_a, idp_b = two_tenants
    idp_a.set_user("judith", email="judith@ome.example.jp")
    b_token = {}

    def from_b(_id_token: str) -> str:
        return b_token["id_token"]

    # A genuine ID token of provider B (for our client id, with the nonce of this login) …
    url = start_login(client, OME)
    nonce = parse_qs(urlsplit(url).query)["nonce"][0]
    b_token["id_token"] = _real_id_token(idp_b.url, f"yokoten-{OME}", "judith", nonce)
    _tamper(monkeypatch, from_b)
    response = client.get(authorize(url, "judith"))  # … is not accepted by 青梅市 (provider A)
    assert response.status_code == 400
    assert failures(app, OME)[-1]["reason"] == "id_token_invalid"


def test_wrong_audience_is_refused(app, client, two_tenants, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("kate", email="kate@ome.example.jp")
    url = start_login(client, OME)
    nonce = parse_qs(urlsplit(url).query)["nonce"][0]
    # A genuine, correctly signed ID token of the same provider, but issued to another client.
    other = _real_id_token(idp_a.url, "some-other-application", "kate", nonce)
    _tamper(monkeypatch, lambda _t: other)
    response = client.get(authorize(url, "kate"))
    assert response.status_code == 400
    failure = failures(app, OME)[-1]
    assert failure["reason"] == "id_token_invalid" and "aud" in failure["detail"]


def _real_id_token(issuer: str, client_id: str, sub: str, nonce: str) -> str:
    """Run the code flow at a provider directly as ``client_id`` and return the ID token it issues."""
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = generate_token(48)
    redirect_uri = "http://127.0.0.1/elsewhere"
    authorize_url = (f"{issuer}/oauth2/authorize?response_type=code&client_id={client_id}&scope=openid+email"
                     f"&redirect_uri={redirect_uri}&state=s&nonce={nonce}"
                     f"&code_challenge={create_s256_code_challenge(verifier)}&code_challenge_method=S256")
    back = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5).headers["Location"]
    code = parse_qs(urlsplit(back).query)["code"][0]
    token = requests.post(f"{issuer}/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": client_id,
        "client_secret": "any", "code_verifier": verifier}, timeout=5).json()
    return str(token["id_token"])


def test_issuer_mismatch_in_discovery_is_refused(app, client, idp_a) -> None:  # type: ignore[no-untyped-def]
    configure(app, OME, idp_a.url + "/")  # the document says http://127.0.0.1:<port>, without the slash
    response = client.get(f"/login/{OME}")
    assert response.status_code == 400
    assert "異なる発行者" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "issuer_mismatch"


def test_deactivated_user_is_refused(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("leo", email="leo@ome.example.jp")
    assert sso_login(client, OME, "leo").status_code == 302
    assert client.get("/").status_code == 200
    [(user_id, *_rest)] = _user(app, OME, subject="leo")
    with app.app_context():
        bind_tenant(OME)
        db.session.get(User, (OME, user_id)).is_active = False
        db.session.commit()
        db.session.remove()
    assert client.get("/").status_code == 302  # the live session dies at the very next request
    response = sso_login(app.test_client(), OME, "leo")
    assert response.status_code == 400
    assert "無効化されています" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "user_deactivated"


def test_open_redirect_through_next_is_refused(app, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("mia", email="mia@ome.example.jp")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = sso_login(app.test_client(), OME, "mia", next_url=evil)
        assert response.status_code == 302 and response.headers["Location"] == "/", evil
    response = sso_login(app.test_client(), OME, "mia", next_url="/admin/users?x=1")
    assert response.headers["Location"] == "/admin/users?x=1"


def test_session_is_rotated_on_login(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("nina", email="nina@ome.example.jp")
    client.post("/lang", data={"lang": "en"})
    login = dance(client, OME, "nina")
    planted = client.get_cookie(COOKIE).value  # what an attacker could have planted before the login
    assert client.get(login.callback_url).status_code == 302
    after = client.get_cookie(COOKIE).value
    assert after != planted
    fixed = app.test_client()
    fixed.set_cookie(COOKIE, planted)
    assert fixed.get("/").status_code == 302  # the pre-login cookie does not carry the login
    assert client.get("/").status_code == 200
    assert 'lang="en"' in client.get("/").get_data(as_text=True)  # the language choice survives the rotation


def test_logout_ends_session_and_uses_end_session_endpoint(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("olga", email="olga@ome.example.jp")
    assert sso_login(client, OME, "olga").status_code == 302
    with app.app_context():
        bind_tenant(OME)
        live = db.session.scalars(select(AuthSession).where(AuthSession.login_method == "sso")).all()
        assert live and all(s.id_token_hint and s.id_token_hint.count(".") == 2 for s in live)
        db.session.remove()
    cookie = client.get_cookie(COOKIE).value
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/logout/provider"
    page = client.get("/logout/provider").get_data(as_text=True)  # our page forwards to the provider
    target = html.unescape(re.search(r'href="([^"]+)" data-testid="provider-logout"', page).group(1))
    assert target.startswith(f"{idp_a.url}/oauth2/end_session?")
    assert f'http-equiv="refresh" content="0;url={html.escape(target)}"' in page
    assert client.get("/logout/provider").headers["Location"] == "/login"  # only once
    params = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    assert params["post_logout_redirect_uri"] == "http://localhost/login"
    assert params["client_id"] == f"yokoten-{OME}" and params["id_token_hint"].count(".") == 2
    old = app.test_client()
    old.set_cookie(COOKIE, cookie)
    assert old.get("/").status_code == 302  # the old cookie is dead on the server
    with app.app_context():
        bind_tenant(OME)
        ended = db.session.scalars(select(AuthSession).where(AuthSession.login_method == "sso")).all()
        assert ended and all(s.ended_at is not None for s in ended)
        assert all(s.id_token_hint is None for s in ended)  # the ID token is not kept after logout
        db.session.remove()


def test_unknown_or_unconfigured_municipality(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/login/999999").status_code == 404
    assert client.get("/login/abc").status_code == 404
    response = client.get("/login/131016")  # 千代田区 has no provider
    assert response.status_code == 400 and "設定されていません" in response.get_data(as_text=True)
    assert client.get("/login/999999/callback?state=x&code=y").status_code == 400
    assert client.get("/login/abc/callback").status_code == 400


def test_unreachable_provider_is_503_not_500(app, client) -> None:  # type: ignore[no-untyped-def]
    configure(app, OME, "http://127.0.0.1:9")  # nothing listens on the discard port
    response = client.get(f"/login/{OME}")
    assert response.status_code == 503 and "しばらくしてから" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "discovery_failed"


def test_login_page_lists_sso_municipalities_and_searches_kana(app, client: FlaskClient, two_tenants) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/132055"' in page and 'href="/login/131083"' in page
    assert 'href="/login/131016"' not in page  # 千代田区: no SSO
    for query in ("おうめ", "オウメ", "青梅", "ome", "132055"):
        found = client.get("/login", query_string={"q": query}).get_data(as_text=True)
        assert 'href="/login/132055"' in found and 'href="/login/131083"' not in found, query
    start_login(client, KOTO)
    again = client.get("/login").get_data(as_text=True)
    assert 'data-testid="sso-last"' in again and "江東区で続ける" in again


def test_iss_parameter_of_another_issuer_is_refused(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    """RFC 9207: an authorization response naming another issuer is a mix-up attempt."""
    idp_a, idp_b = two_tenants
    idp_a.set_user("uma", email="uma@ome.example.jp")
    login = dance(client, OME, "uma")
    response = client.get(login.callback_url + "&iss=" + idp_b.url)
    assert response.status_code == 400
    assert failures(app, OME)[-1]["reason"] == "issuer_mismatch"
    again = app.test_client()
    ok = dance(again, OME, "uma")
    assert again.get(ok.callback_url + "&iss=" + idp_a.url).status_code == 302


def test_settings_and_error_pages_in_english(app, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("tenant_admin")
    client.post("/lang", data={"lang": "en"})
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "Register the portal at your identity provider" in page and "Redirect URI" in page
    response = client.get("/login/132055/callback")
    assert response.status_code == 400
    assert "This login link is invalid or has already been used." in response.get_data(as_text=True)


def test_production_without_sso_secret_key_stores_and_reads_no_secret(cluster) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest

    from kernel.config import ConfigError
    from kernel.errors import ServiceError
    from portal.app import create_app
    from tenants.sso.crypto import SecretKeyError, decrypt_secret
    from tenants.sso.services import ProviderSettings, save_provider
    from tests.conftest import BASE_CONFIG

    settings = {**BASE_CONFIG, **cluster.urls("unit"), "PORTAL_ENV": "production", "SECRET_KEY": "p" * 40,
                "DEV_LOGIN_ENABLED": False, "SSO_SECRET_KEY": ""}
    with _pytest.raises(ConfigError, match="SSO_SECRET_KEY must be set in production"):
        create_app(settings)
    # The key lost after start (a configuration reload): still no secret is stored or read.
    production = create_app({**settings, "SSO_SECRET_KEY": BASE_CONFIG["SSO_SECRET_KEY"]})
    production.config["SSO_SECRET_KEY"] = ""
    from tenants.context import as_tenant

    with production.app_context(), as_tenant(OME):
        with _pytest.raises(ServiceError, match="SSO_SECRET_KEY"):
            save_provider(OME, ProviderSettings(issuer="https://idp.ome.example.jp", client_id="c",
                                                client_secret="s"))
        with _pytest.raises(SecretKeyError):
            decrypt_secret("gAAAAA-anything")
        db.session.rollback()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_any_callback_query_is_refused_with_400_never_500(app, client, two_tenants) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    text_ = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=80)

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(params=st.dictionaries(st.sampled_from(["state", "code", "error", "error_description", "iss", "x"]),
                                  text_, max_size=4),
           code=st.sampled_from([OME, KOTO, "131016", "000000", "abcdef"]))
    def call(params: dict, code: str) -> None:  # type: ignore[type-arg]
        start_login(client, OME)  # a pending login in this browser, so the state check is reached too
        response = client.get(f"/login/{code}/callback", query_string=params)
        assert response.status_code == 400, (code, params, response.status_code)

    call()
