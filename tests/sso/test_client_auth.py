"""Enterprise client authentication (issue 23, point 4): the portal's signing keys (generated,
encrypted at rest, rotated with the previous key published until no assertion can use it), the JWKS
endpoint, private_key_jwt assertions, the per-tenant setting and the client secret's expiry reminders.

The token exchange with private_key_jwt against a certified provider is in test_node_provider.py."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from kernel import reminders
from kernel.db_admin import owner_session
from kernel.extensions import db
from kernel.notifications.models import Notification
from tenants.context import bind_tenant
from tenants.models import User
from tenants.sso.client_auth import private_key_jwt_auth, secret_expiry_reminders
from tenants.sso.keys import RETIRE_AFTER, key_states, public_jwks, rotate_keys
from tenants.sso.models import SsoProvider, SsoSigningKey
from tests.conftest import csrf_token
from tests.sso.conftest import KOTO, OME, Provider, configure, failures, sso_login


def test_jwks_serves_the_public_key_only_and_the_private_key_is_encrypted(app: Flask, portal_key: str) -> None:
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    keys = response.get_json()["keys"]
    assert [k["kid"] for k in keys] == [portal_key]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0]), "a private parameter is published"
    assert keys[0]["x5c"] and keys[0]["x5t#S256"]
    with app.app_context():
        stored = db.session.get(SsoSigningKey, portal_key)
        assert stored is not None and "PRIVATE KEY" not in stored.private_key_enc  # Fernet, not PEM
        assert stored.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
        db.session.remove()


def test_the_assertion_is_signed_for_the_token_endpoint_only(app: Flask, portal_key: str) -> None:
    endpoint = "https://idp.example.jp/oauth2/token"
    with app.app_context():
        auth = private_key_jwt_auth(endpoint)
        assertion = auth.method.sign(type("Auth", (), {"client_id": "yokoten-132055", "client_secret": auth.key})(),
                                     endpoint)
        token = jwt.decode(assertion, KeySet.import_key_set(public_jwks()), algorithms=["RS256"])
        db.session.remove()
    assert token.header["kid"] == portal_key and token.header["alg"] == "RS256" and token.header["x5t#S256"]
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "yokoten-132055" and claims["aud"] == endpoint
    assert 0 < claims["exp"] - claims["iat"] <= 60 and len(claims["jti"]) >= 20
    with app.app_context():
        second = private_key_jwt_auth(endpoint)
        again = second.method.sign(type("Auth", (), {"client_id": "c", "client_secret": second.key})(), endpoint)
        db.session.remove()
    assert jwt.decode(again, KeySet.import_key_set(public_jwks_of(app)), algorithms=["RS256"]).claims["jti"] \
        != claims["jti"], "each assertion is used once"


def public_jwks_of(app: Flask) -> dict:
    return app.test_client().get("/.well-known/jwks.json").get_json()


def test_rotation_publishes_ahead_and_keeps_the_previous_key_until_it_cannot_be_in_use(app: Flask,
                                                                                        portal_key: str) -> None:
    with app.app_context():
        with owner_session():
            new = rotate_keys(publish_days=7)
            new_kid = new.kid
        db.session.remove()
    # Published at once, but the old key still signs (Entra ID admins upload the new certificate first).
    assert {k["kid"] for k in public_jwks_of(app)["keys"]} == {portal_key, new_kid}
    with app.app_context():
        assert [s.key.kid for s in key_states() if s.active] == [portal_key]
        # A week later: the new key signs; the old one stays published for RETIRE_AFTER, then leaves.
        later = datetime.now(UTC) + timedelta(days=7, minutes=1)
        states = {s.key.kid: s for s in key_states(later)}
        assert states[new_kid].active and not states[portal_key].active and states[portal_key].published
        gone = {s.key.kid: s for s in key_states(later + RETIRE_AFTER)}
        assert gone[new_kid].published and not gone[portal_key].published
        db.session.remove()
        with owner_session():  # what a week and an hour do to the stored dates
            db.session.execute(update(SsoSigningKey).where(SsoSigningKey.kid == portal_key).values(
                activates_at=datetime.now(UTC) - timedelta(days=8)))
            db.session.execute(update(SsoSigningKey).where(SsoSigningKey.kid == new_kid).values(
                activates_at=datetime.now(UTC) - RETIRE_AFTER - timedelta(minutes=1)))
        db.session.remove()
        assert [k["kid"] for k in public_jwks_of(app)["keys"]] == [new_kid]
        with owner_session():  # the next rotation deletes the key that is no longer published
            third = rotate_keys(publish_days=7).kid
            assert db.session.get(SsoSigningKey, portal_key) is None
        db.session.remove()
    assert {k["kid"] for k in public_jwks_of(app)["keys"]} == {new_kid, third}


def test_cli_rotates_lists_and_prints_the_certificate(app: Flask, portal_key: str) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sso", "keys", "rotate", "--publish-days", "3"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["sso", "keys", "list"]).output
    assert re.search(rf"{portal_key}\s+signing", listing) and " next " in listing
    certificate = runner.invoke(args=["sso", "keys", "certificate", "--kid", portal_key]).output
    assert certificate.startswith("-----BEGIN CERTIFICATE-----")


def test_login_with_private_key_jwt_and_no_key_is_refused_clearly(app: Flask, idp_a: Provider,
                                                                   portal_key: str) -> None:
    configure(app, OME, idp_a.url, token_auth_method="private_key_jwt")
    with app.app_context():  # the operators deleted the keys afterwards
        with owner_session():
            db.session.execute(SsoSigningKey.__table__.delete())
        db.session.remove()
    idp_a.set_user("nokey", email="nokey@ome.example.jp")
    response = sso_login(app.test_client(), OME, "nokey")
    assert response.status_code == 400 and "signing_key_missing" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "signing_key_missing"
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(User).where(User.subject == "nokey")) is None
        db.session.remove()


def _settings_form(issuer: str, **fields: str) -> dict[str, str]:
    return {"issuer": issuer, "client_id": "yokoten-132055", "scopes": "openid email profile",
            "email_claim": "email", "name_claim": "name", "groups_claim": "groups", "is_enabled": "y", **fields}


def test_private_key_jwt_cannot_be_chosen_before_the_portal_has_a_key(app: Flask, idp_a: Provider,
                                                                     login_as) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        with owner_session():
            db.session.execute(SsoSigningKey.__table__.delete())
        db.session.remove()
    configure(app, OME, idp_a.url)
    client = login_as("tenant_admin")
    response = client.post("/admin/sso", data=_settings_form(idp_a.url, token_auth_method="private_key_jwt"))
    assert response.status_code == 400 and "flask sso keys rotate" in response.get_data(as_text=True)
    with app.app_context():
        bind_tenant(OME)
        provider = db.session.get(SsoProvider, OME)
        assert provider is not None and provider.token_auth_method == "client_secret_basic"
        db.session.remove()


def test_admin_chooses_private_key_jwt_and_records_the_secret_expiry(app: Flask, idp_a: Provider, login_as,  # type: ignore[no-untyped-def]
                                                                     portal_key: str) -> None:
    configure(app, OME, idp_a.url)
    client = login_as("tenant_admin")
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "/.well-known/jwks.json" in page and "private_key_jwt" in page
    assert "/login/132055/backchannel-logout" in page
    response = client.post("/admin/sso", data={"csrf_token": csrf_token(client, "/admin/sso"), **_settings_form(
        idp_a.url, token_auth_method="private_key_jwt", client_secret_expires_on="2027-06-30")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        bind_tenant(OME)
        provider = db.session.get(SsoProvider, OME)
        assert provider is not None and provider.token_auth_method == "private_key_jwt"
        assert provider.client_secret_expires_on == date(2027, 6, 30)
        db.session.remove()
    bad = client.post("/admin/sso", data={
        "csrf_token": csrf_token(client, "/admin/sso"), "issuer": idp_a.url, "client_id": "yokoten-132055",
        "scopes": "openid", "email_claim": "email", "name_claim": "name", "groups_claim": "groups",
        "token_auth_method": "client_secret_post", "client_secret_expires_on": "いつか"})
    assert bad.status_code == 400


def _reminders(app: Flask, tenant: str) -> list[dict]:
    with app.app_context():
        bind_tenant(tenant)
        admin = db.session.scalar(select(User).where(User.email == f"admin@{'ome' if tenant == OME else 'koto'}"
                                                                 ".example.jp"))
        rows = db.session.scalars(select(Notification).where(Notification.user_id == admin.id,
                                                             Notification.kind == "tenants.sso_secret_expiring")
                                  .order_by(Notification.id)).all()
        result = [dict(r.params) for r in rows]
        db.session.remove()
    return result


def test_secret_expiry_reminds_the_admins_60_and_14_days_before_once_each(app: Flask, idp_a: Provider,
                                                                         idp_b: Provider) -> None:
    expires = date(2027, 3, 31)
    configure(app, OME, idp_a.url, client_secret_expires_on=expires)
    configure(app, KOTO, idp_b.url)  # no date recorded: never reminded
    assert secret_expiry_reminders in reminders._providers  # run daily by `flask notifications remind`
    with app.app_context():
        assert secret_expiry_reminders(expires - timedelta(days=61)) == 0
        assert secret_expiry_reminders(expires - timedelta(days=60)) >= 1
        assert secret_expiry_reminders(expires - timedelta(days=60)) == 0  # the same day again
        assert secret_expiry_reminders(expires - timedelta(days=30)) == 0  # no daily spam in between
        assert secret_expiry_reminders(expires - timedelta(days=14)) >= 1
        assert secret_expiry_reminders(expires - timedelta(days=3)) == 0
        db.session.commit()
        db.session.remove()
    told = _reminders(app, OME)
    assert [t["days"] for t in told] == [60, 14] and told[0]["date_ja"] == "2027年3月31日（令和9年）"
    assert _reminders(app, KOTO) == []
    # A new secret with a new date starts again; a job that missed the 60-day mark tells once, at 14.
    configure(app, OME, idp_a.url, client_secret_expires_on=date(2028, 3, 31))
    with app.app_context():
        assert secret_expiry_reminders(date(2028, 3, 20)) >= 1 and secret_expiry_reminders(date(2028, 3, 21)) == 0
        db.session.commit()
        db.session.remove()
    assert [t["days"] for t in _reminders(app, OME)] == [60, 14, 11]


def test_no_reminder_for_private_key_jwt(app: Flask, idp_a: Provider, portal_key: str) -> None:
    expires = date(2027, 3, 31)
    configure(app, OME, idp_a.url, client_secret_expires_on=expires, token_auth_method="private_key_jwt")
    with app.app_context():
        assert secret_expiry_reminders(expires - timedelta(days=14)) == 0
        db.session.commit()
        db.session.remove()
    assert _reminders(app, OME) == []
