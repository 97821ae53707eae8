"""Pages of a provider change (issue 23, point 3): the candidate provider, its test login, the switch
and rollback, and the re-link plan (dry run, export, confirmation). See ``tenants.sso.migration``.

Thin views on the SSO blueprint: load → check access (TENANT_MANAGE_SSO, the admin's own tenant) →
service → render. The test login's callback is the municipality's usual callback URL (the redirect
URI registered at the new provider is the same one), which hands a login state of purpose "test"
to ``finish_test_login``.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import Response, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete

from kernel import audit
from kernel.confirm import Confirmation, ask_confirmation, confirmed
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.views import act
from tenants.auth import require_permission
from tenants.roles import Permission
from tenants.sso.client_auth import private_key_jwt_auth
from tenants.sso.crypto import SecretKeyError, decrypt_secret
from tenants.sso.forms import RelinkForm, SsoSettingsForm
from tenants.sso.migration import (
    AMBIGUOUS,
    CANDIDATE,
    EXCLUDED,
    NOBODY,
    PREVIOUS,
    RELINK,
    RelinkReport,
    candidate_ready,
    confirm_relink,
    discard_candidate,
    get_standby,
    matching_plans,
    parse_id_list,
    pending_plans,
    record_test,
    relink_report,
    relink_target,
    roll_back_provider,
    save_candidate,
    settings_of,
    standby_provider,
    switch_provider,
)
from tenants.sso.models import SsoLoginState
from tenants.sso.oidc import (
    SsoError,
    authorization_url,
    discover,
    exchange_code,
    fetch_userinfo,
    log_refusal,
    validate_id_token,
)
from tenants.sso.overage import resolve_overage
from tenants.sso.services import (
    ProviderSettings,
    begin_login,
    check_mfa,
    claim_value,
    format_role_mapping,
    get_provider,
    mappable_roles,
    parse_domains,
    parse_role_mapping,
    roles_from_claims,
)
from tenants.sso.views import MAX_PENDING, PENDING_KEY, _messages, _redirect_uri, bp


def _form_of(settings: Optional[dict[str, Any]]) -> SsoSettingsForm:
    if not settings:
        return SsoSettingsForm(formdata=None)
    return SsoSettingsForm(formdata=None, data={
        "issuer": settings.get("issuer", ""), "client_id": settings.get("client_id", ""),
        "scopes": settings.get("scopes", ""), "email_claim": settings.get("email_claim", "email"),
        "name_claim": settings.get("name_claim", "name"), "groups_claim": settings.get("groups_claim", "groups"),
        "allowed_domains": "\n".join(settings.get("allowed_domains") or []),
        "role_mapping": format_role_mapping(settings.get("role_mapping") or {}), "is_enabled": True,
        "roles_from_idp": bool(settings.get("roles_from_idp")), "required_acr": settings.get("required_acr", ""),
        "require_mfa_amr": bool(settings.get("require_mfa_amr")),
        "groups_overage_host": settings.get("groups_overage_host", ""),
        "inactivity_days": settings.get("inactivity_days", 90),
        "token_auth_method": settings.get("token_auth_method") or "client_secret_basic",
        "client_secret_expires_on": (date.fromisoformat(settings["client_secret_expires_on"])
                                     if settings.get("client_secret_expires_on") else None),
    })


def _settings_of_form(form: SsoSettingsForm, code: str) -> ProviderSettings:
    secret = "" if form.clear_secret.data else (form.client_secret.data or None)
    return ProviderSettings(
        issuer=form.issuer.data or "", client_id=form.client_id.data or "", client_secret=secret,
        scopes=form.scopes.data or "", email_claim=(form.email_claim.data or "").strip(),
        name_claim=(form.name_claim.data or "").strip(), groups_claim=(form.groups_claim.data or "").strip(),
        allowed_domains=parse_domains(form.allowed_domains.data or ""),
        role_mapping=parse_role_mapping(form.role_mapping.data or "", mappable_roles(code, False)),
        is_enabled=True, roles_from_idp=bool(form.roles_from_idp.data),
        required_acr=(form.required_acr.data or "").strip(), require_mfa_amr=bool(form.require_mfa_amr.data),
        groups_overage_host=(form.groups_overage_host.data or "").strip().lower(),
        inactivity_days=form.inactivity_days.data if form.inactivity_days.data is not None else 90,
        token_auth_method=form.token_auth_method.data or "client_secret_basic",
        client_secret_expires_on=form.client_secret_expires_on.data)


@bp.route("/admin/sso/change", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_SSO)
def change() -> ResponseReturnValue:
    """The candidate provider: its settings (saved here), its test login, the switch and the rollback."""
    code = current_user.tenant_id
    active = get_provider(code)
    candidate = get_standby(code, CANDIDATE)
    if request.method == "POST":
        form = SsoSettingsForm()
    elif candidate is not None:
        form = _form_of(candidate.settings)
    else:
        # A new candidate starts from the active provider's claims, domains, mapping and policies; the
        # connection (issuer, client, secret) is the new provider's own.
        form = _form_of({**settings_of(active), "issuer": "", "client_id": "", "client_secret_expires_on": None}
                        if active is not None else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                save_candidate(code, _settings_of_form(form, code))
            except ServiceError as error:
                target = getattr(form, error.field or "", None) or form.issuer
                target.errors = [*list(target.errors), error.message]
            else:
                flash(_("The candidate provider was saved. Test it before switching."), "success")
                return redirect(url_for("sso.change"))
    return render_template("tenants/sso_change.html", form=form, active=active, candidate=candidate,
                           candidate_ready=candidate_ready(candidate), previous=standby_provider(code, PREVIOUS),
                           redirect_uri=_redirect_uri(code), roles=sorted(mappable_roles(code, False))), status


# GET like /login/<code>: a form posted here could not be redirected to the provider (CSP form-action
# 'self' applies to redirects); starting a test login changes nothing but a login state of its own.
@bp.get("/admin/sso/change/test")
@require_permission(Permission.TENANT_MANAGE_SSO)
def candidate_test() -> ResponseReturnValue:
    """Start a test login at the candidate provider (the result page shows the claims; no login)."""
    code = current_user.tenant_id
    candidate = standby_provider(code, CANDIDATE)
    if candidate is None:
        flash(_("There is no candidate provider to test."), "error")
        return redirect(url_for("sso.change")), 303
    try:
        # Not behind the municipality's circuit breaker: a candidate that fails must not stop the
        # active provider's logins.
        metadata = discover(candidate.issuer, use_cache=False)
    except SsoError as error:
        return _test_failed(code, error)
    pending = begin_login(code, url_for("sso.change"), purpose="test")
    earlier = [p for p in session.get(PENDING_KEY) or [] if isinstance(p, dict)][-(MAX_PENDING - 1):]
    session[PENDING_KEY] = [*earlier, {"tenant": code, "state": pending.state}]
    return redirect(authorization_url(metadata, candidate.client_id, candidate.scopes, _redirect_uri(code),
                                      pending.state, pending.nonce, pending.code_verifier,
                                      ui_locales=session.get("lang") or "ja",
                                      acr_values=candidate.required_acr or None))


def _test_failed(code: str, error: SsoError, row: Optional[SsoLoginState] = None) -> ResponseReturnValue:
    """A failed test login: said on the change page; audited; the cause for the operators in the log.
    Its login state stays consumed (the rollback would bring it back): a callback is never tried twice."""
    state_hash = row.state_hash if row is not None else None
    db.session.rollback()
    if state_hash is not None:
        db.session.execute(delete(SsoLoginState).where(SsoLoginState.tenant_id == code,
                                                       SsoLoginState.state_hash == state_hash))
    log_refusal(code, error)
    audit.record_always("sso.candidate_test_failed", "sso_provider", code,
                        after={"reason": error.reason, "detail": error.detail[:300]}, tenant_id=code)
    message = _messages().get(error.reason, _messages()["provider_error"])
    flash(_("The test login at the candidate provider failed (%(reason)s): %(message)s", reason=error.reason,
            message=message), "error")
    return redirect(url_for("sso.change")), 303


def finish_test_login(code: str, row: SsoLoginState) -> ResponseReturnValue:
    """The callback of a test login: verify everything as a real login would, then show the claims.
    Nobody is logged in and nothing is linked; only the test's success is recorded."""
    if not current_user.is_authenticated or current_user.tenant_id != code \
            or not current_user.can(Permission.TENANT_MANAGE_SSO):
        return _test_failed(code, SsoError("state_invalid", "a test login finished without its administrator"), row)
    candidate = standby_provider(code, CANDIDATE)
    if candidate is None:
        return _test_failed(code, SsoError("not_configured", "the candidate was removed"), row)
    returned_issuer = request.args.get("iss")
    if request.args.get("error"):
        return _test_failed(code, SsoError("provider_error", request.args.get("error", "")[:100]), row)
    if returned_issuer is not None and returned_issuer != candidate.issuer:
        return _test_failed(code, SsoError("issuer_mismatch", f"iss parameter {returned_issuer[:200]!r}"), row)
    assertion = getattr(candidate, "token_auth_method", "") == "private_key_jwt"
    try:
        secret = "" if assertion else decrypt_secret(candidate.client_secret_enc)
    except SecretKeyError as error:
        return _test_failed(code, SsoError("secret_unavailable", str(error)), row)
    notes: list[str] = []
    try:
        metadata = discover(candidate.issuer)
        pin = _pin(metadata.token_endpoint)
        if secret and candidate.token_endpoint_pin and candidate.token_endpoint_pin != pin:
            raise SsoError("endpoint_changed", "token endpoint moved")
        # private_key_jwt: a one-use assertion signed with the portal's key, as for the active provider.
        client_auth = private_key_jwt_auth(metadata.token_endpoint) if assertion else None
        token = exchange_code(metadata, candidate.client_id, secret, _redirect_uri(code),
                              request.args.get("code", "")[:2000], row.code_verifier, client_auth)
        claims = validate_id_token(metadata, candidate.client_id, token["id_token"], row.nonce)
        if not claim_value(claims, candidate.email_claim):
            extra = fetch_userinfo(metadata, str(token.get("access_token") or ""), claims["sub"])
            claims = {**extra, **claims} if extra else claims
    except SsoError as error:
        return _test_failed(code, error, row)
    for check in (lambda: check_mfa(candidate, claims),):
        try:
            check()
        except SsoError as error:
            notes.append(_messages().get(error.reason, error.reason))
    try:
        claims = resolve_overage(candidate, claims, str(token.get("access_token") or ""))
    except SsoError as error:
        notes.append(_messages().get(error.reason, error.reason))
    email = str(claim_value(claims, candidate.email_claim) or "")
    plans = matching_plans(candidate, claims)
    record_test(code, pin if secret else None, claims)
    return render_template(
        "tenants/sso_test_result.html", issuer=candidate.issuer,
        claims=json.dumps(claims, ensure_ascii=False, indent=2, sort_keys=True, default=str)[:20000],
        subject=claims.get("sub"), email=email,
        email_verified=json.dumps(claims.get("email_verified")),
        roles=sorted(roles_from_claims(candidate, claims)), notes=notes, plans=plans)


def _pin(token_endpoint: str) -> str:
    parts = urlsplit(token_endpoint)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


@bp.post("/admin/sso/change/switch")
@require_permission(Permission.TENANT_MANAGE_SSO)
def candidate_switch() -> ResponseReturnValue:
    """The tested candidate becomes the active provider (the old one kept disabled for a rollback)."""
    return act(lambda: switch_provider(current_user.tenant_id, current_user),
               _("Switched: staff now log in through the new provider. The previous one is kept for a rollback."),
               url_for("sso.change"))


@bp.post("/admin/sso/change/rollback")
@require_permission(Permission.TENANT_MANAGE_SSO)
def provider_rollback() -> ResponseReturnValue:
    """The previous provider becomes active again."""
    return act(lambda: roll_back_provider(current_user.tenant_id, current_user),
               _("Rolled back: staff log in through the previous provider again."), url_for("sso.change"))


@bp.post("/admin/sso/change/discard")
@require_permission(Permission.TENANT_MANAGE_SSO)
def candidate_discard() -> ResponseReturnValue:
    """Delete the candidate provider (after a confirmation: its settings and secret are gone for good)."""
    candidate = get_standby(current_user.tenant_id, CANDIDATE)
    if candidate is not None and not confirmed():
        return ask_confirmation(Confirmation(
            _("Delete the candidate provider?"),
            [_("Its settings and its client secret are deleted; test logins in progress against it end."),
             _("This cannot be undone: to try the provider again, enter its settings again.")],
            _("Delete the candidate"), back=url_for("sso.change"),
            details=[(_("Issuer (URL)"), str((candidate.settings or {}).get("issuer") or "—"))]))
    return act(lambda: discard_candidate(current_user.tenant_id), _("The candidate provider was deleted."),
               url_for("sso.change"))


# Re-link plan -----------------------------------------------------------------------------------

def _report_of(form: RelinkForm) -> tuple[RelinkReport, str, list[tuple[str, str]]]:
    claim = (form.claim.data or "").strip() if form.mode.data == "claim" else ""
    if form.mode.data == "claim" and not claim:
        raise ServiceError(_("Enter the name of the employee-id claim."), "claim")
    id_list = parse_id_list(form.id_list.data or "") if claim else []
    return relink_report(current_user.tenant_id, claim, id_list), claim, id_list


@bp.route("/admin/sso/relink", methods=["GET", "POST"])
@require_permission(Permission.TENANT_MANAGE_SSO)
def relink() -> ResponseReturnValue:
    """The dry run of a re-link plan (POST: computed, nothing written), and the plan in force."""
    code = current_user.tenant_id
    form = RelinkForm() if request.method == "POST" else RelinkForm(formdata=None)
    report: Optional[RelinkReport] = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                report, _claim, _ids = _report_of(form)
                status = 200
                # A dry run writes nothing: the same form sent again computes it again (portal.idempotency),
                # rather than being answered "already sent" without the report.
                g.idempotency_release = True
            except ServiceError as error:
                target = getattr(form, error.field or "", None) or form.claim
                target.errors = [*list(target.errors), error.message]
    target = relink_target(code)
    return render_template("tenants/sso_relink.html", form=form, report=report, target=target,
                           plans=pending_plans(code), categories=(RELINK, AMBIGUOUS, NOBODY, EXCLUDED),
                           labels=_category_labels()), status


@bp.post("/admin/sso/relink/export")
@require_permission(Permission.TENANT_MANAGE_SSO)
def relink_export() -> ResponseReturnValue:
    """The dry run as a CSV file (UTF-8 with BOM, for Excel)."""
    form = RelinkForm()
    if not form.validate_on_submit():
        return redirect(url_for("sso.relink")), 303
    try:
        report, _claim, _ids = _report_of(form)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("sso.relink")), 303
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Result"), _("E-mail"), _("Name"), _("Value"), _("Note")])
    labels = _category_labels()
    for row in report.rows:
        writer.writerow([labels.get(row.category, row.category), row.email, row.name, row.value, row.note])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=sso-relink-dry-run.csv"})


def _category_labels() -> dict[str, str]:
    return {RELINK: _("would be re-linked"), AMBIGUOUS: _("ambiguous"), NOBODY: _("matches nobody"),
            EXCLUDED: _("not in the plan"), "already": _("already linked")}


@bp.post("/admin/sso/relink/confirm")
@require_permission(Permission.TENANT_MANAGE_SSO)
def relink_confirm() -> ResponseReturnValue:
    """Confirm the dry run: the plan is written in one transaction (audited, the tenant admins told)."""
    form = RelinkForm()
    if not form.validate_on_submit():
        return redirect(url_for("sso.relink")), 303

    def plan() -> None:
        claim = (form.claim.data or "").strip() if form.mode.data == "claim" else ""
        id_list = parse_id_list(form.id_list.data or "") if claim else []
        confirm_relink(current_user.tenant_id, current_user, claim, id_list, form.fingerprint.data or "")

    return act(plan, _("The re-link plan was confirmed: each account re-links at its first login through the "
                       "new provider."), url_for("sso.relink"))
