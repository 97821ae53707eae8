"""Encryption at rest of the client secrets, with keys from SSO_SECRET_KEY (comma-separated).

The first key encrypts; every key decrypts (MultiFernet), so a new key is put first, the secrets
re-encrypted with ``flask sso rekey``, and the old key removed afterwards. Outside production an
unset SSO_SECRET_KEY falls back to a key derived from SECRET_KEY, so development needs no set-up.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretKeyError(RuntimeError):
    """No usable SSO_SECRET_KEY (production), or a secret that no configured key can decrypt."""


def _keys() -> list[bytes]:
    raw = str(current_app.config.get("SSO_SECRET_KEY") or "")
    keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
    if keys:
        return keys
    if current_app.config.get("PORTAL_ENV") == "production":
        raise SecretKeyError("SSO_SECRET_KEY must be set in production.")
    digest = hashlib.sha256(("sso:" + str(current_app.config["SECRET_KEY"])).encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as error:
        raise SecretKeyError("SSO_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes).") from error


def encrypt_secret(plain: str) -> str:
    """Encrypt a client secret with the primary key ('' stays '': a public client)."""
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt_secret(token: str) -> str:
    """Decrypt a stored client secret with any configured key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretKeyError("The client secret cannot be decrypted with the configured SSO_SECRET_KEY.") from error


def rotate_secret(token: str) -> str:
    """Re-encrypt a stored secret with the primary key."""
    return _fernet().rotate(token.encode()).decode() if token else ""
