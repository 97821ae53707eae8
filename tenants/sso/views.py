"""SSO pages: the municipality picker, /login/<code>, the provider's callback, the settings page.

Every refused login answers 400 with a page in the user's language and is written to the audit
log; nothing of a refused login is kept (its login state is deleted in its own transaction).
"""
from __future__ import annotations

import hmac
import os
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db, limiter
from kernel.navigation import register_admin_link
from kernel.text import fold_kana
from kernel.urls import safe_next
from tenants.auth import require_permission, start_session
from tenants.context import as_tenant, bind_tenant
from tenants.models import AuthSession, Tenant, is_tenant_code
from tenants.roles import Permission
from tenants.services import get_tenant
from tenants.sso import breaker, events, inactivity  # noqa: F401  (registers the SSO notifications and the daily job)
from tenants.sso.client_auth import private_key_jwt_auth
from tenants.sso.crypto import SecretKeyError, decrypt_secret
from tenants.sso.forms import SsoSettingsForm
from tenants.sso.keys import public_jwks
from tenants.sso.oidc import (
    SsoError,
    authorization_url,
    discover,
    exchange_code,
    fetch_keys,
    fetch_userinfo,
    log_refusal,
    provider_metadata,
    validate_id_token,
)
from tenants.sso.overage import resolve_overage
from tenants.sso.services import (
    ProviderSettings,
    begin_login,
    check_mfa,
    claim_value,
    consume_login,
    forget_login,
    format_role_mapping,
    get_provider,
    mappable_roles,
    operator_mapping,
    parse_domains,
    parse_role_mapping,
    provision_user,
    save_provider,
    sso_tenants,
    void_secret,
)

# The templates live in tenants/templates/tenants/ and are found through the tenants blueprint.
bp = Blueprint("sso", __name__)

LAST_TENANT_COOKIE = "yokoten_last_tenant"
PENDING_KEY = "sso_pending"
LOGOUT_KEY = "sso_logout"
MAX_PENDING = 5
ID_TOKEN_HINT_MAX = 4000


# Rate limits of the login and callback pages (one login = two requests), sized for a city hall whose
# 2,000 staff arrive at 8:30 behind one NAT address: about 100 logins a minute from one address into
# one municipality. The storage is Redis when REDIS_URL is set (shared by every worker), else memory.
DEFAULT_LIMITS = {
    "SSO_RATELIMIT_PER_ADDRESS": "200/minute",  # one client address into one municipality
    "SSO_RATELIMIT_PER_IP": "300/minute",  # one client address across every municipality
    "SSO_RATELIMIT_PER_TENANT": "600/minute",  # one municipality from every address
}


def _limit(name: str) -> str:
    return str(current_app.config.get(name) or os.environ.get(name) or DEFAULT_LIMITS[name])


def _ip_limit() -> str:
    return _limit("SSO_RATELIMIT_PER_IP")


def _tenant_limit() -> str:
    return _limit("SSO_RATELIMIT_PER_TENANT")


def _address_limit() -> str:
    return _limit("SSO_RATELIMIT_PER_ADDRESS")


def _tenant_key() -> str:
    return "sso-tenant:" + str((request.view_args or {}).get("code", ""))


def _tenant_address_key() -> str:
    # The client address is the proxy-corrected one when TRUSTED_PROXY_HOPS is set (ProxyFix).
    return f"sso-tenant-address:{(request.view_args or {}).get('code', '')}:{request.remote_addr or '-'}"


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of the portal: PORTAL_BASE_URL when configured (behind a reverse proxy the
    request's own host and scheme may be internal ones, and the IdP refuses an http:// callback), else
    the request's own root."""
    base = str(current_app.config.get("PORTAL_BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _messages() -> dict[str, str]:
    return {
        "not_configured": _("Single sign-on is not set up for this municipality. Ask its administrators."),
        "state_invalid": _("This login link is invalid or has already been used. Start the login again."),
        "provider_error": _("Your municipality's identity provider did not complete the login."),
        "discovery_failed": _("The identity provider of your municipality cannot be reached. Try again later."),
        "issuer_mismatch": _("The identity provider answered with another issuer than the one configured. "
                             "The login was stopped for your safety."),
        "jwks_failed": _("The identity provider's signing keys cannot be read. Try again later."),
        "token_exchange_failed": _("The login code was refused or has expired. Start the login again."),
        "id_token_invalid": _("The identity provider's answer could not be verified (invalid, expired or "
                              "altered ID token)."),
        "email_missing": _("The identity provider did not send an e-mail address for your account."),
        "email_not_allowed": _("Your e-mail address is not in a domain allowed for this municipality."),
        "user_deactivated": _("This account has been deactivated. Ask your municipality's administrator."),
        "account_conflict": _("This identity already belongs to another account. Ask your municipality's "
                              "administrator."),
        "secret_unavailable": _("The portal cannot read this municipality's SSO settings. Please tell the "
                                "operators of the portal."),
        "link_not_allowed": _("An account with this e-mail address exists already, but it has not been prepared for "
                              "login through this identity provider. Ask your municipality's administrator."),
        "groups_overage": _("You are in too many groups for the identity provider to list them in the login token "
                            "(Entra ID groups overage), so your roles cannot be decided. Your IT department should "
                            "send only the groups assigned to this application (token configuration: groups "
                            "assigned to the application)."),
        "mfa_required": _("Your municipality requires multi-factor authentication for this portal, and the identity "
                          "provider did not report one. Log in again with your second factor; if this persists, "
                          "tell your IT department that the ID token must carry the required acr value or an amr "
                          "naming a second factor (mfa, otp …)."),
        "signing_key_missing": _("The portal has no signing key for this municipality's login yet (private_key_jwt). "
                                 "Please tell the operators of the portal."),
        "endpoint_changed": _("The identity provider's token endpoint moved to another server, so the stored client "
                              "secret was removed for safety. Your municipality's administrator must enter the "
                              "client secret again."),
    }


def _refuse(code: str, error: SsoError, state: Optional[str] = None) -> Any:
    """400 page for a refused login (503 when the provider cannot be reached); the reason goes to the
    audit log (kept despite the rollback), what an outbound request met only to the operators' log."""
    db.session.rollback()
    if state and is_tenant_code(code):
        forget_login(code, state)  # a refused callback cannot be tried again with the same state
        if error.reason == "endpoint_changed":
            void_secret(code, error.operator_detail)
        db.session.commit()
    tenant = code if is_tenant_code(code) and get_tenant(code) is not None else None
    bind_tenant(tenant)  # the audit row is the tenant's (its policy checks the bound tenant); no user
    audit.record_always("auth.sso_failed", "tenant", code[:20], after={"reason": error.reason,
                                                                        "detail": error.detail[:300]},
                        tenant_id=tenant)
    # The app log names no person: the reason and the provider's failure only (the audit row has the rest).
    log_refusal(code[:20], error)
    if error.unavailable:
        # Discovery failures were counted by provider_metadata; keys and token requests are counted here.
        if error.reason not in ("provider_unavailable", "discovery_failed") and tenant is not None:
            breaker.record_failure(tenant)
        return _unavailable(code, tenant)
    message = _messages().get(error.reason, _messages()["provider_error"])
    return render_template("tenants/sso_error.html", message=message, reason=error.reason, code=code), 400


def _unavailable(code: str, tenant: Optional[str]) -> Any:
    """503 at once: the municipality's provider cannot be reached now (the breaker keeps it so for a while)."""
    seconds = int(breaker.open_for(tenant)) if tenant else 0
    response = current_app.response_class(render_template(
        "tenants/sso_unavailable.html", code=code, minutes=max(1, (seconds + 59) // 60)), status=503)
    response.headers["Retry-After"] = str(max(seconds, 5))
    return response


def _take_pending(code: str, state: str) -> bool:
    """Whether this browser started the login of ``state`` at ``code``; it is removed from the session."""
    pending = [p for p in session.get(PENDING_KEY) or [] if isinstance(p, dict)]
    found = None
    for item in pending:
        if state and item.get("tenant") == code and isinstance(item.get("state"), str) \
                and hmac.compare_digest(item["state"].encode(), state.encode()):
            found = item
    if found is None:
        return False
    session[PENDING_KEY] = [p for p in pending if p is not found]
    return True


def _redirect_uri(code: str) -> str:
    return absolute_url("sso.callback", code=code)


@bp.get("/login/<code>")
@limiter.shared_limit(_address_limit, scope="sso-login-tenant-address", key_func=_tenant_address_key)
@limiter.shared_limit(_ip_limit, scope="sso-login-ip")
@limiter.shared_limit(_tenant_limit, scope="sso-login-tenant", key_func=_tenant_key)
def start(code: str) -> Any:
    """Send the browser to its municipality's identity provider (code flow, S256 PKCE)."""
    if not is_tenant_code(code) or get_tenant(code) is None:
        abort(404)
    bind_tenant(code)  # no session yet: the login routes bind the municipality their URL names
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    provider = get_provider(code)
    if provider is None or not provider.is_enabled:
        return _refuse(code, SsoError("not_configured"))
    try:
        metadata = provider_metadata(code, provider.issuer)
    except SsoError as error:
        return _refuse(code, error)
    pending = begin_login(code, next_url)
    # A few logins may be pending in one browser (a double click, a second tab); each is usable once.
    earlier = [p for p in session.get(PENDING_KEY) or [] if isinstance(p, dict)][-(MAX_PENDING - 1):]
    session[PENDING_KEY] = [*earlier, {"tenant": code, "state": pending.state}]
    target = authorization_url(metadata, provider.client_id, provider.scopes, _redirect_uri(code), pending.state,
                               pending.nonce, pending.code_verifier, ui_locales=session.get("lang") or "ja",
                               acr_values=provider.required_acr or None)
    response = redirect(target)
    response.set_cookie(LAST_TENANT_COOKIE, code, max_age=400 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.get("/login/<code>/callback")
@limiter.shared_limit(_address_limit, scope="sso-login-tenant-address", key_func=_tenant_address_key)
@limiter.shared_limit(_ip_limit, scope="sso-login-ip")
@limiter.shared_limit(_tenant_limit, scope="sso-login-tenant", key_func=_tenant_key)
def callback(code: str) -> Any:
    """The provider's redirect back: check state, exchange the code, verify the ID token, log in."""
    state = request.args.get("state", "")
    if not is_tenant_code(code) or get_tenant(code) is None:
        return _refuse(code, SsoError("state_invalid", "unknown tenant"))
    bind_tenant(code)  # no session yet: the login routes bind the municipality their URL names
    bound = _take_pending(code, state)
    if request.args.get("error"):
        # Some providers omit the state on errors; nothing is granted either way, the login just ends.
        detail = f"{request.args.get('error', '')[:100]}: {request.args.get('error_description', '')[:200]}"
        return _refuse(code, SsoError("provider_error", detail), state if bound else None)
    if not bound:
        return _refuse(code, SsoError("state_invalid", "state missing or not this browser's"),
                       state if state and len(state) < 200 else None)
    row = consume_login(code, state)
    if row is None:
        return _refuse(code, SsoError("state_invalid", "state unknown, used or expired"))
    if row.purpose == "test":  # an administrator's test of the candidate provider: nobody logs in
        from tenants.sso.change_views import finish_test_login

        return finish_test_login(code, row)
    returned_issuer = request.args.get("iss")
    provider = get_provider(code)
    if provider is None or not provider.is_enabled:
        return _refuse(code, SsoError("not_configured"), state)
    if returned_issuer is not None and returned_issuer != provider.issuer:  # RFC 9207 mix-up defence
        return _refuse(code, SsoError("issuer_mismatch", f"iss parameter {returned_issuer[:200]!r}"), state)
    assertion = provider.token_auth_method == "private_key_jwt"
    try:
        secret = "" if assertion else decrypt_secret(provider.client_secret_enc)
    except SecretKeyError as error:
        return _refuse(code, SsoError("secret_unavailable", str(error)), state)
    try:
        metadata = provider_metadata(code, provider.issuer)
        if secret:
            _check_token_endpoint(provider, metadata.token_endpoint)
        # private_key_jwt: a one-use assertion for this token endpoint (aud), signed with the portal's key.
        client_auth = private_key_jwt_auth(metadata.token_endpoint) if assertion else None
        token = exchange_code(metadata, provider.client_id, secret, _redirect_uri(code),
                              request.args.get("code", "")[:2000], row.code_verifier, client_auth)
        claims = validate_id_token(metadata, provider.client_id, token["id_token"], row.nonce)
        check_mfa(provider, claims)
        claims = resolve_overage(provider, claims, str(token.get("access_token") or ""))
        if not claim_value(claims, provider.email_claim):
            extra = fetch_userinfo(metadata, str(token.get("access_token") or ""), claims["sub"])
            claims = {**extra, **claims} if extra else claims
        user = provision_user(provider, claims)
    except SsoError as error:
        return _refuse(code, error, state)
    hint = token["id_token"] if len(token["id_token"]) <= ID_TOKEN_HINT_MAX else None
    sid = claims.get("sid")  # the IdP's session: a back-channel logout token may name it (backchannel.py)
    start_session(user, "sso", id_token_hint=hint, sso_sid=sid if isinstance(sid, str) and len(sid) <= 255 else None)
    return redirect(safe_next(row.next_url))


def _check_token_endpoint(provider: Any, token_endpoint: str) -> None:
    """The secret goes only to the token endpoint's origin it was first sent to (pinned then).

    A discovery document that names another server later — the IdP's document altered, or a changed
    DNS name — must not receive the secret: the login is refused and the secret cleared (see _refuse).
    """
    parts = urlsplit(token_endpoint)
    origin = f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"
    if provider.token_endpoint_pin is None:
        provider.token_endpoint_pin = origin  # committed with a successful login only
    elif provider.token_endpoint_pin != origin:
        raise SsoError("endpoint_changed", "token endpoint moved",
                       operator_detail=f"pinned {provider.token_endpoint_pin}, discovery names {origin}")


# The settings page of a tenant's administrators -----------------------------------------------

# Presets of the settings page: the claim names each product sends (the issuer stays the admin's own:
# its pattern is shown beside the field). Keycloak's realm roles reach the ID token only when the
# "realm roles" mapper has "Add to ID token" on (docs/sso.md).
PRESETS: dict[str, dict[str, str]] = {
    "entra": {"scopes": "openid email profile", "email_claim": "email", "name_claim": "name",
              "groups_claim": "groups"},
    "keycloak": {"scopes": "openid email profile", "email_claim": "email", "name_claim": "name",
                 "groups_claim": "realm_access.roles"},
}
PRESET_ISSUERS = {"entra": "https://login.microsoftonline.com/<tenant id>/v2.0",
                  "keycloak": "https://<host>/realms/<realm>"}


def _apply_preset(form: SsoSettingsForm, preset: str) -> None:
    for name, value in PRESETS.get(preset, {}).items():
        getattr(form, name).data = value


def _form_from_provider(provider: Any) -> SsoSettingsForm:
    if provider is None:
        return SsoSettingsForm(formdata=None)
    return SsoSettingsForm(formdata=None, data={
        "issuer": provider.issuer, "client_id": provider.client_id, "scopes": provider.scopes,
        "email_claim": provider.email_claim, "name_claim": provider.name_claim,
        "groups_claim": provider.groups_claim, "allowed_domains": "\n".join(provider.allowed_domains or []),
        "role_mapping": format_role_mapping(provider.role_mapping or {}), "is_enabled": provider.is_enabled,
        "roles_from_idp": provider.roles_from_idp, "required_acr": provider.required_acr,
        "require_mfa_amr": provider.require_mfa_amr, "groups_overage_host": provider.groups_overage_host,
        "token_auth_method": provider.token_auth_method,
        "client_secret_expires_on": provider.client_secret_expires_on,
        "inactivity_days": provider.inactivity_days,
    })


@bp.route("/admin/sso", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_SSO)
def settings() -> Any:
    """A tenant admin edits the municipality's own provider settings (audited)."""
    code = current_user.tenant_id
    provider = get_provider(code)
    form = SsoSettingsForm() if request.method == "POST" else _form_from_provider(provider)
    preset = request.args.get("preset", "") if request.method == "GET" else ""
    if preset in PRESETS:
        _apply_preset(form, preset)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                secret = "" if form.clear_secret.data else (form.client_secret.data or None)
                data = ProviderSettings(
                    issuer=form.issuer.data or "", client_id=form.client_id.data or "", client_secret=secret,
                    scopes=form.scopes.data or "", email_claim=(form.email_claim.data or "").strip(),
                    name_claim=(form.name_claim.data or "").strip(),
                    groups_claim=(form.groups_claim.data or "").strip(),
                    allowed_domains=parse_domains(form.allowed_domains.data or ""),
                    role_mapping=parse_role_mapping(form.role_mapping.data or "", mappable_roles(code, False)),
                    is_enabled=bool(form.is_enabled.data), roles_from_idp=bool(form.roles_from_idp.data),
                    required_acr=(form.required_acr.data or "").strip(),
                    require_mfa_amr=bool(form.require_mfa_amr.data),
                    groups_overage_host=(form.groups_overage_host.data or "").strip().lower(),
                    token_auth_method=form.token_auth_method.data or "client_secret_basic",
                    client_secret_expires_on=form.client_secret_expires_on.data,
                    inactivity_days=form.inactivity_days.data if form.inactivity_days.data is not None else 90)
                save_provider(code, data)
            except ServiceError as error:
                target = getattr(form, error.field or "", None)
                if target is not None:
                    target.errors = [*list(target.errors), error.message]
                else:
                    form.issuer.errors = [*list(form.issuer.errors), error.message]
            else:
                flash(_("The single sign-on settings were saved."), "success")
                return redirect(url_for("sso.settings"))
    valid_operator = operator_mapping(provider) if provider is not None else {}
    stored_operator = (provider.operator_role_mapping or {}) if provider is not None else {}
    return render_template("tenants/sso_settings.html", form=form, provider=provider,
                           preset=preset if preset in PRESETS else "", preset_issuer=PRESET_ISSUERS.get(preset, ""),
                           operator_mapping=format_role_mapping(valid_operator),
                           operator_mapping_inactive=bool(stored_operator) and not valid_operator,
                           redirect_uri=_redirect_uri(code),
                           logout_uri=absolute_url("portal.login"), jwks_uri=absolute_url("sso.jwks"),
                           backchannel_uri=absolute_url("sso.backchannel_logout", code=code),
                           roles=sorted(mappable_roles(code, False))), status


@bp.post("/admin/sso/check")
@require_permission(Permission.TENANT_MANAGE_SSO)
def check_provider() -> Any:
    """Fetch the provider's discovery document and keys now, and say whether a login could work."""
    provider = get_provider(current_user.tenant_id)
    if provider is None:
        flash(_("Save the settings first."), "error")
        return redirect(url_for("sso.settings"))
    try:
        metadata = discover(provider.issuer, use_cache=False)
        key_count = len(fetch_keys(metadata.jwks_uri).keys)
    except SsoError as error:
        # One message whatever went wrong: the difference between "refused", "timeout", "HTTP 401" or
        # "not JSON" would tell the admin what an internal address answered. The operators find the
        # detail in the application log under the reference (the request id).
        log_refusal(provider.tenant_id, error)
        flash(_("The check failed: the provider could not be reached or did not answer as an OpenID provider "
                "with this issuer. The portal's operators can see the cause in the log (reference %(ref)s).",
                ref=g.get("request_id", "")[:12]), "error")
        return redirect(url_for("sso.settings"))
    breaker.reset(provider.tenant_id)
    if metadata.end_session_endpoint:
        logout = _("logout at the provider is supported")
    else:
        logout = _("the provider has no end_session_endpoint (logout ends the portal session only)")
    flash(_("The provider answers: issuer matches, %(keys)s signing key(s), %(logout)s.", keys=key_count,
            logout=logout), "success")
    return redirect(url_for("sso.settings"))


# Hooks into the login page and the logout of the portal -----------------------------------------

def _normalise(text: str) -> str:
    """NFKC, lower case, katakana → hiragana, no spaces: 「オウメ」「おうめ」「ｵｳﾒ」 all match."""
    text = unicodedata.normalize("NFKC", text).lower().replace(" ", "").replace("\u3000", "")
    return fold_kana(text)


@dataclass(frozen=True)
class Choice:
    code: str
    name: str
    kana: str
    search: str


class SsoLoginOption:
    """The municipality picker shown on /login (portal.views renders ``template`` for each option)."""

    template = "tenants/sso_picker.html"

    def available(self) -> bool:
        """Whether any municipality offers SSO at all (else the picker is not shown)."""
        return bool(self._tenants())

    def _tenants(self) -> list[Tenant]:
        cached = g.get("sso_tenants")
        if cached is None:
            cached = g.sso_tenants = sso_tenants()
        return list(cached)

    def choices(self) -> list[Choice]:
        lang = session.get("lang") or "ja"
        query = _normalise(request.args.get("q", "")[:50])
        items = []
        for tenant in self._tenants():
            search = _normalise(" ".join((tenant.name_ja, tenant.name_kana, tenant.name_en, tenant.code)))
            if query and query not in search:
                continue
            items.append(Choice(tenant.code, tenant.name(lang), tenant.name_kana, search))
        return items

    def query(self) -> str:
        return request.args.get("q", "")[:50]

    def last(self) -> Optional[Tenant]:
        code = request.cookies.get(LAST_TENANT_COOKIE, "")
        if not is_tenant_code(code):
            return None
        tenant = db.session.get(Tenant, code)
        return tenant if tenant is not None and tenant.code in {t.code for t in self._tenants()} else None


def logout_redirect(ended: AuthSession) -> Optional[str]:
    """After the portal's own logout: the provider's end_session_endpoint, when it has one."""
    if ended.login_method != "sso":
        return None
    with as_tenant(ended.tenant_id):
        provider = get_provider(ended.tenant_id)
    if provider is None:
        return None
    try:
        metadata = provider_metadata(ended.tenant_id, provider.issuer)
    except SsoError as error:
        log_refusal(ended.tenant_id, error)
        return None
    if not metadata.end_session_endpoint:
        return None
    params = {"client_id": provider.client_id, "post_logout_redirect_uri": absolute_url("portal.login")}
    if ended.id_token_hint:
        params["id_token_hint"] = ended.id_token_hint
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    # The logout form may only submit to our own origin (CSP form-action 'self', which browsers apply
    # to redirects too): hand the provider's URL to a page of ours that forwards the browser there.
    session[LOGOUT_KEY] = metadata.end_session_endpoint + separator + urlencode(params)
    return url_for("sso.provider_logout")


@bp.get("/logout/provider")
def provider_logout() -> Any:
    """After our logout: forward the browser to the provider's end_session_endpoint (meta refresh + link)."""
    target = session.pop(LOGOUT_KEY, None)
    if not isinstance(target, str) or not target.startswith(("https://", "http://")):
        return redirect(url_for("portal.login"))
    return render_template("tenants/sso_logout.html", target=target)


@bp.record_once
def _install(state: Any) -> None:
    app: Flask = state.app
    if app.config.get("PORTAL_ENV") == "production":
        _require_secret_key(app)
    app.extensions["yokoten_login_options"] = [*app.extensions.get("yokoten_login_options", []), SsoLoginOption()]
    app.extensions["yokoten_logout_redirect"] = logout_redirect
    from tenants.sso.cli import sso_cli

    app.cli.add_command(sso_cli)


register_admin_link(_l("Single sign-on (OpenID Connect)"), "sso.settings",
                    lambda user: user.can(Permission.TENANT_MANAGE_SSO))


def _require_secret_key(app: Flask) -> None:
    """Production without a usable SSO_SECRET_KEY: warn at start; secrets can be neither stored nor read."""
    from cryptography.fernet import Fernet

    keys = [k.strip() for k in str(app.config.get("SSO_SECRET_KEY") or "").split(",") if k.strip()]
    try:
        for key in keys:
            Fernet(key.encode())
    except ValueError:
        keys = []
    if not keys:
        app.logger.warning("SSO_SECRET_KEY is not set or invalid: SSO client secrets can be neither stored nor "
                           "read, so SSO logins of confidential clients are refused (docs/sso.md).")


@bp.get("/.well-known/jwks.json")
@limiter.exempt
def jwks() -> Any:
    """The portal's public signing keys (private_key_jwt), for the IdPs; public, cacheable for 10 minutes."""
    response = jsonify(public_jwks())
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


# Routes kept in their own modules, on this blueprint (they import ``bp``): the provider-change pages and
# the back-channel logout endpoint.
from tenants.sso import backchannel, change_views  # noqa: E402,F401
