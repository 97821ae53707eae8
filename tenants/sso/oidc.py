"""The relying-party side of OpenID Connect: discovery, PKCE authorization request, code exchange
and ID-token validation, for one tenant's provider at a time (through Authlib and its joserfc).

Checks done here ourselves rather than trusted to a library: the discovery document's ``issuer``
must equal the configured issuer exactly (mix-up defence, ASVS 10.2.2); the ID token's signature
(keys from the provider's JWKS), ``iss``, ``aud`` (and ``azp`` when there are several audiences),
``exp``, ``iat``, ``sub`` and ``nonce``.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

HTTP_TIMEOUT = 5.0
CACHE_SECONDS = 600
CLOCK_LEEWAY = 60
SIGNING_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}


class SsoError(Exception):
    """A login that must be refused; ``reason`` goes to the audit log, the page says why in words."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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


def _get_json(url: str) -> dict[str, Any]:
    response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


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
        data = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    except (requests.RequestException, ValueError) as error:
        raise SsoError("discovery_failed", str(error)[:200]) from error
    if data.get("issuer") != issuer:
        raise SsoError("issuer_mismatch", f"configured {issuer!r}, discovery says {str(data.get('issuer'))[:200]!r}")
    try:
        algorithms = tuple(a for a in data.get("id_token_signing_alg_values_supported") or ["RS256"]
                           if a in SIGNING_ALGORITHMS) or ("RS256",)
        metadata = ProviderMetadata(
            issuer=issuer,
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
            userinfo_endpoint=data.get("userinfo_endpoint"),
            end_session_endpoint=data.get("end_session_endpoint"),
            algorithms=algorithms,
        )
    except (KeyError, TypeError) as error:
        raise SsoError("discovery_failed", f"incomplete discovery document: {error}") from error
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
        keys = KeySet.import_key_set(_get_json(jwks_uri))  # type: ignore[arg-type]
    except (requests.RequestException, ValueError, JoseError) as error:
        raise SsoError("jwks_failed", str(error)[:200]) from error
    with _lock:
        _jwks_cache[jwks_uri] = (now, keys)
    return keys


def fetch_keys(jwks_uri: str) -> KeySet:
    """The provider's signing keys, fetched now (the settings page's connection check)."""
    return _key_set(jwks_uri, refresh=True)


def authorization_url(metadata: ProviderMetadata, client_id: str, scopes: str, redirect_uri: str,
                      state: str, nonce: str, code_verifier: str, ui_locales: str = "ja") -> str:
    """The authorization request: code flow, S256 PKCE, state and nonce."""
    with OAuth2Session(client_id, scope=scopes, redirect_uri=redirect_uri, code_challenge_method="S256") as client:
        url, _state = client.create_authorization_url(metadata.authorization_endpoint, state=state,
                                                      code_verifier=code_verifier, nonce=nonce, ui_locales=ui_locales)
    return str(url)


def exchange_code(metadata: ProviderMetadata, client_id: str, client_secret: str, redirect_uri: str,
                  code: str, code_verifier: str) -> dict[str, Any]:
    """Trade the authorization code (with the PKCE verifier) for tokens at the token endpoint."""
    client = OAuth2Session(client_id, client_secret or None, redirect_uri=redirect_uri,
                           token_endpoint_auth_method="client_secret_basic" if client_secret else "none")
    try:
        with client:
            token = client.fetch_token(metadata.token_endpoint, grant_type="authorization_code", code=code,
                                       code_verifier=code_verifier, timeout=HTTP_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - OAuthError, network, malformed answers: all a refused login
        raise SsoError("token_exchange_failed", str(error)[:200]) from error
    if not isinstance(token, dict) or not token.get("id_token"):
        raise SsoError("token_exchange_failed", "no id_token in the token response")
    return dict(token)


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
        response = requests.get(metadata.userinfo_endpoint, timeout=HTTP_TIMEOUT,
                                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("sub") != subject:
        return {}
    return data
