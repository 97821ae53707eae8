"""Client authentication at the IdP's token endpoint, beside the stored secret (issue 23, point 4).

* ``private_key_jwt``: the token request carries an assertion signed with the portal's key
  (``tenants.sso.keys``) through Authlib's ``PrivateKeyJWT``: ``iss`` = ``sub`` = the client ID,
  ``aud`` = the token endpoint, a fresh ``jti``, 60 s lifetime, ``kid`` and the certificate
  thumbprints (``x5t``, ``x5t#S256``) in the header. No secret is stored or sent.
* ``/.well-known/jwks.json`` (``tenants.sso.views.jwks``): the portal's public keys, for IdPs that
  read a JWKS URL (Keycloak, oidc-provider).
* The client secret's expiry date: the tenant admins are reminded 60 and 14 days before (once
  each; ``flask notifications remind`` runs daily).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey
from sqlalchemy import select

from kernel.extensions import db
from kernel.i18n import format_day
from kernel.notifications import N_, notify, register_event, role_in_tenant
from kernel.reminders import register_reminders
from tenants.context import as_tenant
from tenants.models import Tenant
from tenants.sso.crypto import SecretKeyError
from tenants.sso.keys import ALGORITHM, NoSigningKey, assertion_expiry, assertion_headers, signing_key
from tenants.sso.models import SsoProvider
from tenants.sso.oidc import SsoError

SECRET_BASIC = "client_secret_basic"
PRIVATE_KEY_JWT = "private_key_jwt"
TOKEN_AUTH_METHODS = (SECRET_BASIC, PRIVATE_KEY_JWT)
# Days before the client secret's expiry at which the tenant admins are told (each once per date).
REMINDER_DAYS = (60, 14)

register_event("tenants.sso_secret_expiring", role_in_tenant("tenant_admin"),
               N_("The client secret of your single sign-on settings expires on %(date)s (in %(days)s days): "
                  "create a new one at the identity provider and enter it with its expiry date in the settings."),
               catalogue="tenants")


@dataclass(frozen=True)
class AssertionAuth:
    """What OutboundOAuth2Session needs for private_key_jwt: the key (as "secret") and the method."""

    key: RSAKey
    method: PrivateKeyJWT


def private_key_jwt_auth(token_endpoint: str) -> AssertionAuth:
    """A one-use client authentication for this token request, signed with the portal's active key."""
    try:
        kid, key = signing_key()
    except NoSigningKey as error:
        raise SsoError("signing_key_missing", str(error)) from error
    except SecretKeyError as error:
        raise SsoError("secret_unavailable", str(error)) from error
    # A new PrivateKeyJWT per request: Authlib adds the jti to the claims it is given.
    method = PrivateKeyJWT(token_endpoint, claims={"exp": assertion_expiry()}, headers=assertion_headers(kid),
                           alg=ALGORITHM)
    return AssertionAuth(key, method)


def _due_threshold(days_left: int, reminded: int | None) -> int | None:
    """The reminder to send now: the most urgent threshold reached that was not told yet (one at most)."""
    reached = [d for d in REMINDER_DAYS if days_left <= d]
    if not reached:
        return None
    threshold = min(reached)
    return threshold if reminded is None or threshold < reminded else None


@register_reminders
def secret_expiry_reminders(today: date) -> int:
    """Tell the tenant admins 60 and 14 days before their client secret expires (once each per date)."""
    told = 0
    codes = list(db.session.scalars(select(Tenant.code).where(Tenant.is_active.is_(True)).order_by(Tenant.code)))
    for code in codes:
        with as_tenant(code):
            provider = db.session.get(SsoProvider, code)
            if provider is None or provider.client_secret_expires_on is None or not provider.client_secret_enc \
                    or provider.token_auth_method != SECRET_BASIC:
                continue
            days_left = (provider.client_secret_expires_on - today).days
            threshold = _due_threshold(days_left, provider.secret_expiry_reminded)
            if threshold is None:
                continue
            expires = provider.client_secret_expires_on
            told += notify("tenants.sso_secret_expiring", url="/admin/sso", tenant_id=code,
                           date_ja=format_day(expires, "ja"), date_en=format_day(expires, "en"),
                           days=max(days_left, 0))
            provider.secret_expiry_reminded = threshold
            db.session.flush()
    return told
