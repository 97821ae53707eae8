"""The portal's own signing keys for ``private_key_jwt`` client authentication (issue 23, point 4).

One set of keys for the whole portal (not per municipality): the public halves are served at
``/.well-known/jwks.json`` (Keycloak, oidc-provider … read it from there), each with a self-signed
X.509 certificate (Entra ID takes a certificate upload, not a JWKS URL). The private halves are
stored encrypted with the client secrets' Fernet keys (``SSO_SECRET_KEY``, ``tenants.sso.crypto``).

Rotation (``flask sso keys rotate``) adds a key that is *published at once* but *signs only from its
activation* (``--publish-days`` later, default 7), so that an IdP which pins keys (Entra ID: the
certificate is uploaded by hand) can be given the new certificate first. The previous key stays
published until it can no longer be in use: after the new key activated, an assertion signed with
the old one lives at most ``ASSERTION_SECONDS`` (+ the IdP's clock leeway), so the old key leaves the
JWKS ``RETIRE_AFTER`` after its successor's activation, and ``rotate`` deletes it after that.
"""
from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import RSAKey
from sqlalchemy import delete, select

from kernel.extensions import db
from tenants.sso.crypto import decrypt_secret, encrypt_secret, rotate_secret
from tenants.sso.models import SsoSigningKey

ALGORITHM = "RS256"  # the one algorithm every IdP we document accepts for client assertions (Entra ID: RS256)
KEY_BITS = 3072
ASSERTION_SECONDS = 60
# After its successor activated, an old key stays published this long: no assertion it signed can
# still be presented (60 s lifetime + generous clock leeway), and IdPs re-read a JWKS on an unknown kid.
RETIRE_AFTER = timedelta(hours=1)
DEFAULT_PUBLISH_DAYS = 7
CERTIFICATE_DAYS = 800  # a little over two years; the key is rotated well before


class NoSigningKey(RuntimeError):
    """No key is active yet: the operators must run ``flask sso keys rotate`` first."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _certificate(private_key: rsa.RSAPrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Yokoten portal client assertion key")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(private_key, hashes.SHA256()))


def generate_key(activates_at: datetime) -> SsoSigningKey:
    """A new RSA key pair with its certificate; the private key encrypted (not yet added to the session)."""
    now = datetime.now(UTC)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    certificate = _certificate(private_key, now)
    der = certificate.public_bytes(serialization.Encoding.DER)
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public = RSAKey.import_key(private_key.public_key())
    kid = public.thumbprint()
    jwk: dict[str, Any] = {**public.as_dict(private=False), "kid": kid, "use": "sig", "alg": ALGORITHM,
                           "x5c": [base64.b64encode(der).decode()],
                           "x5t": _b64(hashlib.sha1(der).digest()),  # noqa: S324 - the JOSE thumbprint, not security
                           "x5t#S256": _b64(hashlib.sha256(der).digest())}
    return SsoSigningKey(kid=kid, alg=ALGORITHM, public_jwk=jwk, private_key_enc=encrypt_secret(pem),
                         certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
                         created_at=now, activates_at=activates_at)


@dataclass(frozen=True)
class KeyState:
    key: SsoSigningKey
    active: bool  # the key that signs now
    published: bool  # listed in the JWKS
    retires_at: Optional[datetime]  # when it leaves the JWKS (None: not superseded yet)


def key_states(now: Optional[datetime] = None) -> list[KeyState]:
    """Every stored key, newest first, with what it does now."""
    now = now or datetime.now(UTC)
    keys = list(db.session.scalars(select(SsoSigningKey).order_by(SsoSigningKey.activates_at.desc(),
                                                                  SsoSigningKey.created_at.desc())))
    states = []
    newer_activation: Optional[datetime] = None  # activation of the next newer key
    signing_found = False
    for key in keys:
        active = not signing_found and key.activates_at <= now
        signing_found = signing_found or active
        # Superseded once the next newer key signs; then published RETIRE_AFTER longer.
        superseded = newer_activation is not None and newer_activation <= now
        retires_at = newer_activation + RETIRE_AFTER if superseded and newer_activation is not None else None
        states.append(KeyState(key, active, retires_at is None or now < retires_at, retires_at))
        newer_activation = key.activates_at
    return states


def public_jwks() -> dict[str, Any]:
    """The JWKS document: the public keys that sign now, will sign soon, or signed moments ago."""
    return {"keys": [dict(s.key.public_jwk) for s in key_states() if s.published]}


def has_signing_key() -> bool:
    """Whether a key signs now (else private_key_jwt logins are refused with signing_key_missing)."""
    return any(state.active for state in key_states())


def signing_key() -> tuple[str, RSAKey]:
    """(kid, private key) of the key that signs now; NoSigningKey when there is none."""
    for state in key_states():
        if state.active:
            return state.key.kid, RSAKey.import_key(decrypt_secret(state.key.private_key_enc))
    raise NoSigningKey("The portal has no active signing key: run `flask sso keys rotate`.")


def assertion_headers(kid: str) -> dict[str, str]:
    """JWS header of a client assertion: the kid (JWKS consumers) and the certificate thumbprints
    (Entra ID finds the uploaded certificate by ``x5t``/``x5t#S256``)."""
    for state in key_states():
        if state.key.kid == kid:
            jwk = state.key.public_jwk
            return {"kid": kid, "typ": "JWT", "x5t": str(jwk["x5t"]), "x5t#S256": str(jwk["x5t#S256"])}
    return {"kid": kid, "typ": "JWT"}


def assertion_expiry() -> int:
    return int(time.time()) + ASSERTION_SECONDS


# Writers (operators, CLI; the owner role) ------------------------------------------------------

def rotate_keys(publish_days: int = DEFAULT_PUBLISH_DAYS, *, immediately: bool = False) -> SsoSigningKey:
    """Add a new key (signing after ``publish_days``, or at once) and delete keys no longer published.

    The very first key signs at once: nothing can be in use before it.
    """
    now = datetime.now(UTC)
    states = key_states(now)
    start = now if immediately or not any(s.active for s in states) else now + timedelta(days=publish_days)
    for state in states:
        if not state.published:
            db.session.execute(delete(SsoSigningKey).where(SsoSigningKey.kid == state.key.kid))
    key = generate_key(start)
    db.session.add(key)
    db.session.flush()
    return key


def rekey_private_keys() -> int:
    """Re-encrypt every stored private key with the first SSO_SECRET_KEY (``flask sso rekey``)."""
    count = 0
    for key in db.session.scalars(select(SsoSigningKey)):
        key.private_key_enc = rotate_secret(key.private_key_enc)
        count += 1
    db.session.flush()
    return count
