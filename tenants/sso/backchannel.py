"""OpenID Connect Back-Channel Logout 1.0 (issue 23, point 2): the IdP ends a person's portal sessions.

``POST /login/<code>/backchannel-logout`` with ``logout_token``, one endpoint per municipality (its
address is registered at that municipality's IdP as ``backchannel_logout_uri``). The token is checked
strictly (spec section 2.6) against *that* municipality's provider only: signature with the IdP's keys
(JWKS fetched through the outbound client), ``iss``, ``aud`` (our client ID), ``iat`` (recent),
``exp`` when present, the ``events`` claim with the back-channel logout event, no ``nonce`` (an ID
token is never accepted as a logout token), ``sub`` and/or ``sid``, and a ``jti`` never seen before
(replay). Then the matching sessions end: those of the ``sid`` (recorded at login from the ID token),
or every SSO session of the person (``sub`` = the identity at this issuer). 200 when done — also when
no session matched — and 400 with a JSON error otherwise, nothing ended (spec section 2.8).
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from flask import current_app, jsonify, request
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from kernel import audit
from kernel.extensions import csrf, db, limiter
from tenants.context import bind_tenant
from tenants.models import AuthSession, User, is_tenant_code
from tenants.services import get_tenant
from tenants.sso.models import SsoLogoutToken, SsoProvider
from tenants.sso.oidc import CLOCK_LEEWAY, ProviderMetadata, SsoError, decode_signed, log_refusal, provider_metadata
from tenants.sso.services import get_provider
from tenants.sso.views import _address_limit, _ip_limit, _tenant_address_key, _tenant_key, bp

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# A logout token is sent at once by the IdP: one issued longer ago than this is refused (with the
# clock leeway), and its jti is remembered longer than that, so a replay is caught either way.
MAX_TOKEN_AGE = timedelta(minutes=10)
JTI_KEPT = timedelta(hours=1)
MAX_TOKEN_LENGTH = 16000


class LogoutTokenError(Exception):
    """A logout token that must be refused (400); the message goes to the operators' log only."""


def validate_logout_token(metadata: ProviderMetadata, client_id: str, token: str) -> dict[str, Any]:
    """The claims of a valid logout token of this provider for this client; LogoutTokenError otherwise."""
    try:
        decoded = decode_signed(metadata, token)
        claims = dict(decoded.claims)
        JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY,
            iss={"essential": True, "value": metadata.issuer},
            aud={"essential": True, "value": client_id},
            iat={"essential": True},
            jti={"essential": True},
        ).validate(claims)
    except SsoError:
        raise
    except (JoseError, ValueError, TypeError) as error:
        raise LogoutTokenError(f"{type(error).__name__}: {error}"[:200]) from error
    typ = str(decoded.header.get("typ") or "").lower()
    if typ not in ("", "jwt", "logout+jwt", "application/logout+jwt"):
        raise LogoutTokenError(f"typ {typ[:40]!r} is not a logout token's")
    now = datetime.now(UTC).timestamp()
    if not isinstance(claims["iat"], (int, float)) or claims["iat"] < now - MAX_TOKEN_AGE.total_seconds() \
            - CLOCK_LEEWAY or claims["iat"] > now + CLOCK_LEEWAY:
        raise LogoutTokenError("iat too old or in the future")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise LogoutTokenError("events claim without the back-channel logout event")
    if "nonce" in claims:
        raise LogoutTokenError("a logout token carries no nonce (an ID token?)")
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is None and sid is None:
        raise LogoutTokenError("neither sub nor sid")
    for name, value in (("sub", sub), ("sid", sid), ("jti", claims["jti"])):
        if value is not None and (not isinstance(value, str) or not value or len(value) > 255):
            raise LogoutTokenError(f"bad {name}")
    return claims


def _remember_jti(tenant_code: str, jti: str) -> None:
    """Record the token's jti; LogoutTokenError when it was seen already (a replay)."""
    now = datetime.now(UTC)
    db.session.execute(delete(SsoLogoutToken).where(SsoLogoutToken.tenant_id == tenant_code,
                                                    SsoLogoutToken.received_at < now - JTI_KEPT))
    nested = db.session.begin_nested()
    try:
        db.session.add(SsoLogoutToken(tenant_id=tenant_code, jti_hash=hashlib.sha256(jti.encode()).hexdigest(),
                                      received_at=now))
        db.session.flush()
    except IntegrityError as error:
        nested.rollback()
        raise LogoutTokenError("jti replayed") from error
    nested.commit()


def end_sessions_for_logout(provider: SsoProvider, claims: dict[str, Any]) -> int:
    """End the portal sessions the logout token names (its sid, or every SSO session of its sub at this
    issuer), in the provider's own municipality only. Audited; returns how many ended."""
    tenant_code = provider.tenant_id
    _remember_jti(tenant_code, str(claims["jti"]))
    sub: Optional[str] = claims.get("sub")
    sid: Optional[str] = claims.get("sid")
    where = [AuthSession.tenant_id == tenant_code, AuthSession.ended_at.is_(None), AuthSession.login_method == "sso"]
    user_id = None
    if sub is not None:
        user_id = db.session.scalar(select(User.id).where(User.tenant_id == tenant_code,
                                                          User.issuer == provider.issuer, User.subject == sub))
        if user_id is None:
            return 0  # nobody of this municipality has that identity: nothing to end, and that is fine
        where.append(AuthSession.user_id == user_id)
    if sid is not None:
        where.append(AuthSession.sso_sid == sid)
    result = db.session.execute(update(AuthSession).where(*where)
                                .values(ended_at=datetime.now(UTC), id_token_hint=None)
                                .returning(AuthSession.user_id))
    users = sorted({row[0] for row in result})
    for ended_user in users:
        audit.record("auth.backchannel_logout", "user", ended_user, after={"sid": bool(sid), "sub": bool(sub)},
                     tenant_id=tenant_code)
    return len(users)


def _bad_request(description: str) -> Any:
    db.session.rollback()
    response = jsonify({"error": "invalid_request", "error_description": description})
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


def _backchannel_limit() -> str:
    return str(current_app.config.get("SSO_RATELIMIT_BACKCHANNEL") or "120/minute")


@bp.post("/login/<code>/backchannel-logout")
@csrf.exempt
@limiter.shared_limit(_address_limit, scope="sso-backchannel-tenant-address", key_func=_tenant_address_key)
@limiter.shared_limit(_ip_limit, scope="sso-backchannel-ip")
@limiter.shared_limit(_backchannel_limit, scope="sso-backchannel-tenant", key_func=_tenant_key)
def backchannel_logout(code: str) -> Any:
    """The IdP ends sessions: validate the logout token against this municipality's provider, end them."""
    if not is_tenant_code(code) or get_tenant(code) is None:
        return _bad_request("unknown municipality")
    bind_tenant(code)  # no session: the IdP's request names its municipality in the URL
    provider = get_provider(code)
    if provider is None or not provider.is_enabled:
        return _bad_request("single sign-on is not configured")
    token = request.form.get("logout_token", "")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return _bad_request("logout_token missing")
    try:
        metadata = provider_metadata(code, provider.issuer)
        claims = validate_logout_token(metadata, provider.client_id, token)
        ended = end_sessions_for_logout(provider, claims)
    except SsoError as error:
        log_refusal(code, error)
        return _bad_request("the provider's keys could not be read")
    except LogoutTokenError as error:
        current_app.logger.warning("SSO back-channel logout token for tenant %s refused: %s", code, error)
        return _bad_request("invalid logout token")
    current_app.logger.info("SSO back-channel logout for tenant %s ended the sessions of %s person(s)", code, ended)
    response = current_app.response_class(status=200)
    response.headers["Cache-Control"] = "no-store"
    return response
