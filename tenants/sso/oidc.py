"""The relying-party side of OpenID Connect: discovery, PKCE authorization request, code exchange
and ID-token validation, for one tenant's provider at a time (through Authlib and its joserfc).

Checks done here ourselves rather than trusted to a library: the discovery document's ``issuer``
must equal the configured issuer exactly (mix-up defence, ASVS 10.2.2); every endpoint it names
passes the outbound URL rules (https in production, no private address literal); the ID token's
signature (keys from the provider's JWKS), ``iss``, ``aud`` (and ``azp`` when there are several
audiences), ``exp``, ``iat``, ``sub`` and ``nonce``.

Every request to the provider goes through ``tenants.sso.outbound`` (address checks at connect
time, timeouts, size cap, no cross-origin redirects). ``provider_metadata`` puts the tenant's
circuit breaker (``tenants.sso.breaker``) in front of discovery.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tenants.sso import breaker
from tenants.sso.outbound import OutboundError, OutboundOAuth2Session, check_url, current_policy, get_json

CACHE_SECONDS = 600
CLOCK_LEEWAY = 60
SIGNING_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}


class SsoError(Exception):
    """A login that must be refused; ``reason`` goes to the audit log, the page says why in words.

    ``detail`` is audited (tenant admins read the audit log); ``operator_detail`` goes only to the
    application log, for what an outbound request met (it could tell an admin what an internal URL
    answered). ``unavailable``: the provider could not be fetched (the circuit breaker counts it).
    """

    def __init__(self, reason: str, detail: str = "", *, operator_detail: str = "", unavailable: bool = False):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.operator_detail = operator_detail
        self.unavailable = unavailable


def _outbound_failure(reason: str, error: OutboundError) -> SsoError:
    return SsoError(reason, f"request to the provider failed ({error.reason})", operator_detail=error.detail,
                    unavailable=True)


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: Optional[str]
    end_session_endpoint: Optional[str]
    algorithms: tuple[str, ...]


_lock = threading.Lock()
_metadata_cache: dict[str, tuple[float, ProviderMetadata]] = {}
_jwks_cache: dict[str, tuple[float, KeySet]] = {}


def clear_caches() -> None:
    with _lock:
        _metadata_cache.clear()
        _jwks_cache.clear()


def log_refusal(tenant: str, error: SsoError) -> None:
    """The operators' record of a failed provider request (app log only, with the request id)."""
    # The log line carries the request id (portal.logging), the reference the admin's page shows.
    current_app.logger.warning("SSO provider request for tenant %s failed: %s (%s)", tenant[:20],
                               error.reason, error.operator_detail or error.detail)


def _endpoint(data: dict[str, Any], name: str, required: bool = True) -> Optional[str]:
    """An endpoint of the discovery document, held to the outbound URL rules."""
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 2000:
        raise SsoError("discovery_failed", f"discovery document: {name} missing or not a string")
    try:
        check_url(value, current_policy())
    except OutboundError as error:
        raise SsoError("discovery_failed", f"discovery document: {name} refused", operator_detail=error.detail,
                       unavailable=True) from error
    return value


def discover(issuer: str, *, use_cache: bool = True) -> ProviderMetadata:
    """The provider's metadata, fetched from ``<issuer>/.well-known/openid-configuration``.

    Refuses a document whose ``issuer`` differs from the configured one by even one character.
    """
    now = time.monotonic()
    with _lock:
        cached = _metadata_cache.get(issuer)
    if use_cache and cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        data = get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    except OutboundError as error:
        raise _outbound_failure("discovery_failed", error) from error
    if data.get("issuer") != issuer:
        raise SsoError("issuer_mismatch", "the discovery document names another issuer",
                       operator_detail=f"configured {issuer!r}, discovery says {str(data.get('issuer'))[:200]!r}")
    supported = data.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(a for a in (supported if isinstance(supported, list) else [])
                       if a in SIGNING_ALGORITHMS) or ("RS256",)
    metadata = ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=str(_endpoint(data, "authorization_endpoint")),
        token_endpoint=str(_endpoint(data, "token_endpoint")),
        jwks_uri=str(_endpoint(data, "jwks_uri")),
        userinfo_endpoint=_endpoint(data, "userinfo_endpoint", required=False),
        end_session_endpoint=_endpoint(data, "end_session_endpoint", required=False),
        algorithms=algorithms,
    )
    with _lock:
        _metadata_cache[issuer] = (now, metadata)
    return metadata


def _key_set(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    now = time.monotonic()
    with _lock:
        cached = _jwks_cache.get(jwks_uri)
    if cached and not refresh and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        keys = KeySet.import_key_set(get_json(jwks_uri))  # type: ignore[arg-type]
    except OutboundError as error:
        raise _outbound_failure("jwks_failed", error) from error
    except (ValueError, TypeError, JoseError) as error:
        raise SsoError("jwks_failed", "the key set cannot be read", operator_detail=str(error)[:200]) from error
    with _lock:
        _jwks_cache[jwks_uri] = (now, keys)
    return keys


def fetch_keys(jwks_uri: str) -> KeySet:
    """The provider's signing keys, fetched now (the settings page's connection check)."""
    return _key_set(jwks_uri, refresh=True)


def authorization_url(metadata: ProviderMetadata, client_id: str, scopes: str, redirect_uri: str,
                      state: str, nonce: str, code_verifier: str, ui_locales: str = "ja",
                      acr_values: Optional[str] = None) -> str:
    """The authorization request: code flow, S256 PKCE, state and nonce (and acr_values when required)."""
    extra = {"acr_values": acr_values} if acr_values else {}
    with OutboundOAuth2Session(client_id, scope=scopes, redirect_uri=redirect_uri,
                               code_challenge_method="S256") as client:
        url, _state = client.create_authorization_url(metadata.authorization_endpoint, state=state,
                                                      code_verifier=code_verifier, nonce=nonce, ui_locales=ui_locales,
                                                      **extra)
    return str(url)


def exchange_code(metadata: ProviderMetadata, client_id: str, client_secret: str, redirect_uri: str,
                  code: str, code_verifier: str, client_auth: Optional[Any] = None) -> dict[str, Any]:
    """Trade the authorization code (with the PKCE verifier) for tokens at the token endpoint.

    ``client_auth``: a ``tenants.sso.client_auth.AssertionAuth`` (private_key_jwt) instead of the secret.
    """
    if client_auth is not None:
        client = OutboundOAuth2Session(client_id, client_auth.key, redirect_uri=redirect_uri,
                                       token_endpoint_auth_method=client_auth.method)
    else:
        client = OutboundOAuth2Session(client_id, client_secret or None, redirect_uri=redirect_uri,
                                       token_endpoint_auth_method="client_secret_basic" if client_secret else "none")
    try:
        with client:
            token = client.fetch_token(metadata.token_endpoint, grant_type="authorization_code", code=code,
                                       code_verifier=code_verifier)
    except OutboundError as error:
        raise _outbound_failure("token_exchange_failed", error) from error
    except Exception as error:  # noqa: BLE001 - OAuthError, malformed answers: all a refused login
        raise SsoError("token_exchange_failed", str(error)[:200]) from error
    if not isinstance(token, dict) or not token.get("id_token"):
        raise SsoError("token_exchange_failed", "no id_token in the token response")
    return dict(token)


def decode_signed(metadata: ProviderMetadata, token: str) -> Any:
    """A JWT signed by the provider (its JWKS, its algorithms; the keys re-read once on an unknown kid).
    Raises joserfc's errors; the caller checks the claims."""
    algorithms = list(metadata.algorithms)
    try:
        return jwt.decode(token, _key_set(metadata.jwks_uri), algorithms=algorithms)
    except InvalidKeyIdError:  # the provider rotated its keys since we cached them
        return jwt.decode(token, _key_set(metadata.jwks_uri, refresh=True), algorithms=algorithms)


def validate_id_token(metadata: ProviderMetadata, client_id: str, id_token: str, nonce: str) -> dict[str, Any]:
    """Verify the ID token's signature and claims; returns its claims."""
    algorithms = list(metadata.algorithms)
    try:
        try:
            token = jwt.decode(id_token, _key_set(metadata.jwks_uri), algorithms=algorithms)
        except InvalidKeyIdError:  # the provider rotated its keys since we cached them
            token = jwt.decode(id_token, _key_set(metadata.jwks_uri, refresh=True), algorithms=algorithms)
        claims = dict(token.claims)
        JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY,
            iss={"essential": True, "value": metadata.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except SsoError:
        raise
    except (JoseError, ValueError, TypeError) as error:
        raise SsoError("id_token_invalid", f"{type(error).__name__}: {error}"[:200]) from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SsoError("id_token_invalid", "several audiences and azp is not our client")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise SsoError("id_token_invalid", "bad sub")
    return claims


def fetch_userinfo(metadata: ProviderMetadata, access_token: str, subject: str) -> dict[str, Any]:
    """Claims from the userinfo endpoint (when the ID token lacks them); its ``sub`` must match."""
    if not metadata.userinfo_endpoint or not access_token:
        return {}
    try:
        data = get_json(metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
    except OutboundError:
        return {}
    if not isinstance(data, dict) or data.get("sub") != subject:
        return {}
    return data


def provider_metadata(tenant: str, issuer: str) -> ProviderMetadata:
    """Discovery for a login of ``tenant``, behind its circuit breaker.

    Raises SsoError("provider_unavailable") at once while the breaker is open or another fetch for the
    tenant is running; a failed fetch opens the breaker.
    """
    with _lock:
        cached = _metadata_cache.get(issuer)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    if breaker.open_for(tenant) > 0:
        raise SsoError("provider_unavailable", "circuit open", unavailable=True)
    if not breaker.begin_fetch(tenant, current_policy().total_seconds + 5):
        raise SsoError("provider_unavailable", "another fetch in progress", unavailable=True)
    try:
        metadata = discover(issuer)
    except SsoError as error:
        if error.unavailable:
            breaker.record_failure(tenant)
        raise
    finally:
        breaker.end_fetch(tenant)
    breaker.record_success(tenant)
    return metadata
