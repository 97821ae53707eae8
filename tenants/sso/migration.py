"""Changing a municipality's identity provider without orphaned accounts (issue 23, point 3).

1. **Candidate.** Beside the active provider a municipality sets up a *candidate* (same settings as
   the active one), and an administrator **tests** it: a login at the candidate that only shows the
   claims received — nobody is logged in, nothing is linked.
2. **Re-link plan.** A **dry run** lists, for the accounts of the municipality, who would be re-linked
   to the new provider by a verified claim (the e-mail address with ``email_verified``, or an
   employee-id claim the administrator names, with a list "e-mail, employee id"), who matches nobody
   and who matches ambiguously. Once the administrator confirms it (in one transaction, audited, the
   tenant admins told), each account of the plan re-links **at its person's first login through the
   new provider** when the login carries the planned claim value. A new identity (issuer + subject)
   never takes over an existing account otherwise: no plan row, no re-link (``account_conflict``).
3. **Switch.** The tested candidate becomes the active provider; the old one is kept, disabled, as
   *previous*, and a **rollback** makes it active again.

Accounts holding a TMG-only role are never in a plan (the operators prepare them, ``flask sso
expect``), like the e-mail linking of ``services._link_allowed``: a tenant admin could otherwise point
a candidate at a provider they control and take over the operators' accounts.

Services flush and audit; they never commit and never bind a tenant (the caller has bound it).
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Optional

from sqlalchemy import and_, delete, or_, select

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from tenants.models import User
from tenants.sso import breaker
from tenants.sso.crypto import SecretKeyError, encrypt_secret
from tenants.sso.models import SsoLoginState, SsoProvider, SsoRelinkPlan, SsoStandbyProvider
from tenants.sso.oidc import SsoError
from tenants.sso.services import (
    TMG_ONLY_ROLES,
    ProviderSettings,
    _claim,
    _link_identity,
    _public_view,
    _sync_directory,
    claim_value,
    get_provider,
    sync_roles,
    validate_settings,
)

CANDIDATE, PREVIOUS = "candidate", "previous"
# Columns of SsoProvider that are not settings (the key and the row's own timestamps).
_NOT_SETTINGS = {"tenant_id", "created_at", "updated_at"}
MAX_PLAN_LINES = 20000


# Providers beside the active one ---------------------------------------------------------------

def _settings_columns() -> list[Any]:
    return [c for c in SsoProvider.__table__.columns if c.key not in _NOT_SETTINGS]


def settings_of(provider: SsoProvider) -> dict[str, Any]:
    """Every settings column of a provider as JSON (dates as ISO text; the secret stays encrypted)."""
    values: dict[str, Any] = {}
    for column in _settings_columns():
        value = getattr(provider, column.key)
        values[column.key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return values


def provider_from(tenant_code: str, settings: dict[str, Any]) -> SsoProvider:
    """A provider object (never added to the session) with these settings, for a test login or a switch."""
    provider = SsoProvider(tenant_id=tenant_code)
    for column in _settings_columns():
        if column.key not in settings:
            value = column.server_default.arg if column.server_default is not None else None
            value = _server_default(column, value)
        else:
            value = settings[column.key]
            kind = _python_type(column)
            if isinstance(value, str) and kind in (date, datetime):
                value = datetime.fromisoformat(value) if kind is datetime else date.fromisoformat(value)
        setattr(provider, column.key, value)
    return provider


def _python_type(column: Any) -> Any:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _server_default(column: Any, text: Any) -> Any:
    """A column's value for a snapshot taken before the column existed: its server default."""
    kind = _python_type(column)
    if not isinstance(text, str):
        return None
    if kind is bool:
        return text.lower() == "true"
    if kind is list:
        return []
    if kind is dict:
        return {}
    return text if kind is str else None


def get_standby(tenant_code: str, slot: str) -> Optional[SsoStandbyProvider]:
    return db.session.get(SsoStandbyProvider, (tenant_code, slot))


def standby_provider(tenant_code: str, slot: str) -> Optional[SsoProvider]:
    """The candidate or previous provider as a provider object (not in the session), or None."""
    row = get_standby(tenant_code, slot)
    return provider_from(tenant_code, dict(row.settings or {})) if row is not None else None


def save_candidate(tenant_code: str, data: ProviderSettings) -> SsoStandbyProvider:
    """Create or change the candidate provider (a tenant admin's form); a change needs a new test."""
    active = get_provider(tenant_code)
    if active is None:
        raise ServiceError(_("Set up the active provider first: a candidate replaces an existing one."), "issuer")
    data.issuer = data.issuer.strip()
    data.client_id = data.client_id.strip()
    data.scopes = " ".join(data.scopes.split())
    data.required_acr = " ".join((data.required_acr or "").split())
    validate_settings(tenant_code, data, by_operator=False)
    row = get_standby(tenant_code, CANDIDATE)
    before = dict(row.settings) if row is not None else None
    if row is None:
        # The operators' settings of the tenant (verified domains) carry over; their role mapping is
        # bound to an issuer and so does not (services.operator_mapping).
        base = settings_of(active)
        base.update(client_secret_enc="", token_endpoint_pin=None)
        row = SsoStandbyProvider(tenant_id=tenant_code, slot=CANDIDATE, settings=base)
        db.session.add(row)
    settings = dict(row.settings or {})
    if settings.get("client_secret_enc") and data.client_secret is None and settings.get("issuer") != data.issuer:
        raise ServiceError(_("The issuer changed, so the stored client secret cannot be used with it and will "
                             "be removed. Enter the client secret issued by the new provider (or tick "
                             "\"Remove the stored client secret\" for a public client)."), "client_secret")
    for name in ("issuer", "client_id", "scopes", "email_claim", "name_claim", "groups_claim", "roles_from_idp",
                 "required_acr", "require_mfa_amr", "groups_overage_host", "inactivity_days", "token_auth_method",
                 "client_secret_expires_on"):
        if hasattr(data, name):
            value = getattr(data, name)
            settings[name] = value.isoformat() if isinstance(value, (date, datetime)) else value
    settings["allowed_domains"] = list(data.allowed_domains)
    settings["role_mapping"] = {k: list(v) for k, v in data.role_mapping.items()}
    settings["is_enabled"] = True
    if data.client_secret is not None:
        try:
            settings["client_secret_enc"] = encrypt_secret(data.client_secret or "")
        except SecretKeyError as error:
            raise ServiceError(_("The client secret cannot be stored: SSO_SECRET_KEY is missing or invalid."),
                               "client_secret") from error
        settings["token_endpoint_pin"] = None
    changed = settings != before or data.client_secret is not None
    row.settings = settings
    if changed:
        row.tested_at = None
        row.updated_at = datetime.now(UTC)
    db.session.flush()
    if changed:
        audit.record("sso.candidate_settings", "sso_provider", tenant_code, before=_safe(before),
                     after={**(_safe(settings) or {}), "secret_changed": data.client_secret is not None},
                     tenant_id=tenant_code)
    return row


def _safe(settings: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """Settings for the audit log: never the secret (only whether one is stored)."""
    if settings is None:
        return None
    shown = {k: v for k, v in settings.items() if k not in ("client_secret_enc", "token_endpoint_pin")}
    return {**shown, "has_secret": bool(settings.get("client_secret_enc"))}


def discard_candidate(tenant_code: str) -> None:
    """Delete the candidate provider (and the test logins in progress against it). Audited."""
    row = get_standby(tenant_code, CANDIDATE)
    if row is None:
        return
    issuer = (row.settings or {}).get("issuer")
    db.session.delete(row)
    db.session.execute(delete(SsoLoginState).where(SsoLoginState.tenant_id == tenant_code,
                                                   SsoLoginState.purpose == "test"))
    db.session.flush()
    audit.record("sso.candidate_discarded", "sso_provider", tenant_code, before={"issuer": issuer},
                 tenant_id=tenant_code)


def record_test(tenant_code: str, token_endpoint_pin: Optional[str], claims: dict[str, Any]) -> None:
    """A successful test login against the candidate: remember when (a switch needs it), and the token
    endpoint its secret went to (pinned as for the active provider). Audited with the claim names only."""
    row = get_standby(tenant_code, CANDIDATE)
    if row is None:
        return
    settings = dict(row.settings or {})
    if token_endpoint_pin and not settings.get("token_endpoint_pin") and settings.get("client_secret_enc"):
        settings["token_endpoint_pin"] = token_endpoint_pin
        row.settings = settings
    row.tested_at = datetime.now(UTC)
    db.session.flush()
    audit.record("sso.candidate_tested", "sso_provider", tenant_code,
                 after={"issuer": settings.get("issuer"), "claims": sorted(claims)[:50]}, tenant_id=tenant_code)


def candidate_ready(row: Optional[SsoStandbyProvider]) -> bool:
    """Tested successfully since its settings last changed."""
    return row is not None and row.tested_at is not None and row.tested_at >= row.updated_at


def _swap(tenant_code: str, incoming: dict[str, Any], outgoing_slot: str) -> tuple[SsoProvider, dict[str, Any]]:
    """The active provider takes the ``incoming`` settings; its own are kept disabled as *previous*."""
    active = get_provider(tenant_code)
    if active is None:
        raise ServiceError(_("There is no active provider to replace."))
    outgoing = settings_of(active)
    outgoing["is_enabled"] = False
    incoming_provider = provider_from(tenant_code, incoming)
    for column in _settings_columns():
        setattr(active, column.key, getattr(incoming_provider, column.key))
    active.is_enabled = True
    active.updated_at = datetime.now(UTC)
    for slot in {outgoing_slot, PREVIOUS}:
        row = get_standby(tenant_code, slot)
        if row is not None:
            db.session.delete(row)
    db.session.flush()
    db.session.add(SsoStandbyProvider(tenant_id=tenant_code, slot=PREVIOUS, settings=outgoing,
                                      updated_at=datetime.now(UTC)))
    # Logins in progress were begun at the other provider: their callbacks cannot finish any more.
    db.session.execute(delete(SsoLoginState).where(SsoLoginState.tenant_id == tenant_code))
    db.session.flush()
    _sync_directory(tenant_code, True)
    breaker.reset(tenant_code)
    return active, outgoing


def switch_provider(tenant_code: str, actor: User) -> SsoProvider:
    """The tested candidate becomes the active provider; the old one is kept disabled for a rollback."""
    row = get_standby(tenant_code, CANDIDATE)
    if row is None:
        raise ServiceError(_("There is no candidate provider to switch to."))
    if not candidate_ready(row):
        raise ServiceError(_("Test the candidate provider (a successful test login) before switching to it."))
    before = get_provider(tenant_code)
    before_view = _public_view(before) if before is not None else None
    active, _outgoing = _swap(tenant_code, dict(row.settings or {}), CANDIDATE)
    audit.record("sso.provider_switched", "sso_provider", tenant_code, before=before_view,
                 after={**_public_view(active), "by": actor.id}, tenant_id=tenant_code)
    _notify_switch(tenant_code, active.issuer, before_view)
    return active


def roll_back_provider(tenant_code: str, actor: User) -> SsoProvider:
    """The previous provider becomes active again; the one it replaces is kept as previous."""
    row = get_standby(tenant_code, PREVIOUS)
    if row is None:
        raise ServiceError(_("There is no previous provider to go back to."))
    before = get_provider(tenant_code)
    before_view = _public_view(before) if before is not None else None
    active, _outgoing = _swap(tenant_code, dict(row.settings or {}), PREVIOUS)
    audit.record("sso.provider_rolled_back", "sso_provider", tenant_code, before=before_view,
                 after={**_public_view(active), "by": actor.id}, tenant_id=tenant_code)
    _notify_switch(tenant_code, active.issuer, before_view)
    return active


def _notify_switch(tenant_code: str, issuer: str, before: Optional[dict[str, Any]]) -> None:
    from kernel.notifications import notify

    notify("tenants.sso_provider_switched", url="/admin/sso/change", tenant_id=tenant_code, issuer=issuer,
           previous=str((before or {}).get("issuer") or "-"))


# Re-link plans --------------------------------------------------------------------------------

RELINK, NOBODY, AMBIGUOUS, EXCLUDED, ALREADY = "relink", "nobody", "ambiguous", "excluded", "already"


@dataclass(frozen=True)
class ReportRow:
    category: str
    email: str
    name: str = ""
    user_id: Optional[int] = None
    value: str = ""
    note: str = ""


@dataclass
class RelinkReport:
    """The dry run: what a confirmation would plan, and why the others are left out."""

    issuer: str
    claim: str  # "" = e-mail (email_verified)
    rows: list[ReportRow] = field(default_factory=list)

    def of(self, category: str) -> list[ReportRow]:
        return [r for r in self.rows if r.category == category]

    @property
    def fingerprint(self) -> str:
        """What a confirmation must still find, so that it plans exactly what the dry run showed."""
        planned = sorted((r.user_id or 0, r.value) for r in self.of(RELINK))
        return hashlib.sha256(repr((self.issuer, self.claim, planned)).encode()).hexdigest()[:32]


def relink_target(tenant_code: str) -> Optional[SsoProvider]:
    """The provider a plan re-links to: the candidate while there is one, else the active provider."""
    return standby_provider(tenant_code, CANDIDATE) or get_provider(tenant_code)


def parse_id_list(text: str) -> list[tuple[str, str]]:
    """Lines "e-mail, employee id" (comma or tab; a header line is skipped); ServiceError on a bad line."""
    pairs: list[tuple[str, str]] = []
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if len(lines) > MAX_PLAN_LINES:
        raise ServiceError(_("At most %(count)s lines.", count=MAX_PLAN_LINES), "id_list")
    dialect = "excel-tab" if "\t" in text else "excel"
    for number, cells in enumerate(csv.reader(io.StringIO("\n".join(lines)), dialect=dialect), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if len(cells) != 2 or "@" not in cells[0] or not cells[1] or len(cells[1]) > 254 or len(cells[0]) > 254:
            if number == 1 and "@" not in cells[0]:
                continue  # a header line
            raise ServiceError(_("Line %(line)s: write it as \"e-mail address, employee id\".", line=number),
                               "id_list")
        pairs.append((cells[0].lower(), cells[1]))
    return pairs


def relink_report(tenant_code: str, claim: str, id_list: list[tuple[str, str]]) -> RelinkReport:
    """The dry run of a re-link plan for the tenant's own accounts (nothing is written)."""
    target = relink_target(tenant_code)
    if target is None:
        raise ServiceError(_("Set up the provider first."), "claim")
    claim = claim.strip()
    if claim and (len(claim) > 100 or not claim.replace("_", "").replace("-", "").replace(".", "").replace(
            ":", "").replace("/", "").isalnum()):
        raise ServiceError(_("A claim name has at most 100 letters, digits and _ : . / -"), "claim")
    if claim and not id_list:
        raise ServiceError(_("Enter the list of e-mail addresses and employee ids."), "id_list")
    report = RelinkReport(target.issuer, claim)
    users = list(db.session.scalars(select(User).where(User.tenant_id == tenant_code).order_by(User.email)))
    domains = set(target.allowed_domains or [])
    values: dict[int, list[str]] = {}
    if claim:
        by_email = {u.email: u for u in users}
        for email, value in id_list:
            user = by_email.get(email)
            if user is None:
                report.rows.append(ReportRow(NOBODY, email, value=value,
                                             note=_("no account with this e-mail address")))
            else:
                values.setdefault(user.id, []).append(value)
    holders: dict[str, list[int]] = {}
    for user in users:
        if user.issuer == target.issuer and user.subject is not None:
            report.rows.append(ReportRow(ALREADY, user.email, user.display_name, user.id,
                                         note=_("already linked to this provider")))
            continue
        if not user.is_active:
            report.rows.append(ReportRow(EXCLUDED, user.email, user.display_name, user.id,
                                         note=_("deactivated")))
            continue
        if user.roles & TMG_ONLY_ROLES:
            report.rows.append(ReportRow(EXCLUDED, user.email, user.display_name, user.id,
                                         note=_("TMG-only role: the portal's operators prepare this account")))
            continue
        if claim:
            own = sorted(set(values.get(user.id, [])))
            if not own:
                report.rows.append(ReportRow(NOBODY, user.email, user.display_name, user.id,
                                             note=_("not in the list")))
                continue
            if len(own) > 1:
                report.rows.append(ReportRow(AMBIGUOUS, user.email, user.display_name, user.id, ", ".join(own),
                                             _("several employee ids for this account")))
                continue
            value = own[0]
        else:
            if domains and user.email.rsplit("@", 1)[-1] not in domains:
                report.rows.append(ReportRow(NOBODY, user.email, user.display_name, user.id,
                                             note=_("e-mail domain not allowed at the new provider")))
                continue
            value = user.email
        holders.setdefault(value, []).append(user.id)
        report.rows.append(ReportRow(RELINK, user.email, user.display_name, user.id, value))
    shared = {v for v, ids in holders.items() if len(ids) > 1}
    report.rows = [ReportRow(AMBIGUOUS, r.email, r.name, r.user_id, r.value, _("the same value for several accounts"))
                   if r.category == RELINK and r.value in shared else r for r in report.rows]
    return report


def confirm_relink(tenant_code: str, actor: User, claim: str, id_list: list[tuple[str, str]],
                   fingerprint: str) -> int:
    """Plan the re-links of the dry run, in one transaction; audited, the tenant admins told.

    The report is computed again: if the accounts changed since the dry run, nothing is planned. The
    plan replaces the pending rows of earlier plans (rows already used for a re-link stay as history,
    unless the account is planned again)."""
    report = relink_report(tenant_code, claim, id_list)
    if report.fingerprint != fingerprint:
        raise ServiceError(_("The accounts changed since the dry run. Run the dry run again and check it."))
    planned = report.of(RELINK)
    if not planned:
        raise ServiceError(_("The dry run found no account to re-link."))
    db.session.execute(delete(SsoRelinkPlan).where(SsoRelinkPlan.tenant_id == tenant_code,
                                                   SsoRelinkPlan.linked_at.is_(None)))
    linked = set(db.session.scalars(select(SsoRelinkPlan.user_id).where(SsoRelinkPlan.tenant_id == tenant_code)))
    for row in planned:
        if row.user_id is None:
            continue
        if row.user_id in linked:
            db.session.execute(delete(SsoRelinkPlan).where(SsoRelinkPlan.tenant_id == tenant_code,
                                                           SsoRelinkPlan.user_id == row.user_id))
        db.session.add(SsoRelinkPlan(tenant_id=tenant_code, user_id=row.user_id, issuer=report.issuer,
                                     claim=report.claim, value=row.value, planned_by=actor.id))
    db.session.flush()
    audit.record("sso.relink_planned", "sso_provider", tenant_code,
                 after={"issuer": report.issuer, "claim": report.claim or "email", "planned": len(planned),
                        "nobody": len(report.of(NOBODY)), "ambiguous": len(report.of(AMBIGUOUS)),
                        "excluded": len(report.of(EXCLUDED)), "users": [r.user_id for r in planned][:500]},
                 tenant_id=tenant_code)
    from kernel.notifications import notify

    notify("tenants.sso_relink_planned", url="/admin/sso/relink", tenant_id=tenant_code, count=len(planned),
           issuer=report.issuer)
    return len(planned)


def pending_plans(tenant_code: str) -> list[SsoRelinkPlan]:
    return list(db.session.scalars(select(SsoRelinkPlan).where(SsoRelinkPlan.tenant_id == tenant_code)
                                   .order_by(SsoRelinkPlan.user_id)))


def matching_plans(provider: SsoProvider, claims: dict[str, Any]) -> list[SsoRelinkPlan]:
    """The pending plan rows of the provider's own tenant for its issuer that this login's claim values
    match (read only; e-mail rows whatever ``email_verified`` says: ``relink_at_login`` checks it)."""
    tenant_code, issuer = provider.tenant_id, provider.issuer
    pending = and_(SsoRelinkPlan.tenant_id == tenant_code, SsoRelinkPlan.issuer == issuer,
                   SsoRelinkPlan.linked_at.is_(None))
    names = set(db.session.scalars(select(SsoRelinkPlan.claim).where(pending).distinct()))
    if not names:
        return []
    email = _claim(claims, provider.email_claim).lower()
    conditions = []
    if "" in names and email:
        conditions.append(and_(SsoRelinkPlan.claim == "", SsoRelinkPlan.value == email))
    for name in names - {""}:
        value = claim_value(claims, name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            conditions.append(and_(SsoRelinkPlan.claim == name, SsoRelinkPlan.value == str(value).strip()))
    if not conditions:
        return []
    return list(db.session.scalars(select(SsoRelinkPlan).where(pending, or_(*conditions))))


def relink_at_login(provider: SsoProvider, claims: dict[str, Any]) -> Optional[User]:
    """At a first login through ``provider`` (no account has this identity yet): the account a pending
    plan row names for the verified claim value of this login, re-linked to the new identity; None when
    no plan row matches. Only the provider's own tenant's plans and accounts are looked at."""
    tenant_code, issuer, subject = provider.tenant_id, provider.issuer, str(claims["sub"])
    rows = matching_plans(provider, claims)
    if not rows:
        return None
    if len({r.user_id for r in rows}) > 1:
        raise SsoError("account_conflict", f"re-link plans of users {sorted(r.user_id for r in rows)[:5]} match")
    row = rows[0]
    if row.claim == "" and claims.get("email_verified") is not True:
        raise SsoError("link_not_allowed", f"re-link plan of user {row.user_id}: e-mail not verified by the provider")
    user = db.session.get(User, (tenant_code, row.user_id))
    if user is None:
        return None
    if not user.is_active:
        raise SsoError("user_deactivated", f"user {user.id}")
    if user.roles & TMG_ONLY_ROLES:
        raise SsoError("link_not_allowed", f"user {user.id} holds a TMG-only role")
    before = {"issuer": user.issuer, "subject": user.subject}
    _link_identity(user, issuer, subject)
    row.linked_at = datetime.now(UTC)
    db.session.flush()
    audit.record("user.sso_relink", "user", user.id, before=before,
                 after={"issuer": issuer, "subject": subject, "claim": row.claim or "email"}, tenant_id=tenant_code)
    sync_roles(provider, user, claims)
    return user
