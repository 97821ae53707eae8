"""Operator commands: `flask sso set|show|rekey` (run as the owner role, audited like the web page)."""
from __future__ import annotations

import os
from datetime import date
from typing import Optional

import click
from flask.cli import AppGroup
from sqlalchemy import select

from kernel import audit
from kernel.db_admin import owner_session
from kernel.errors import ServiceError
from kernel.extensions import db
from tenants.context import as_tenant
from tenants.sso.crypto import SecretKeyError, rotate_secret
from tenants.sso.keys import rekey_private_keys
from tenants.sso.models import SsoProvider, SsoStandbyProvider
from tenants.sso.services import (
    ProviderSettings,
    expect_identity,
    format_role_mapping,
    full_mapping,
    get_provider,
    mappable_roles,
    parse_domains,
    parse_role_mapping,
    save_provider,
)

sso_cli = AppGroup("sso", help="Single sign-on (OpenID Connect) settings of the tenants.")


@sso_cli.command("set")
@click.option("--tenant", "tenant_code", required=True, help="6-digit local government code")
@click.option("--issuer", default=None, help="issuer URL, exactly as in the discovery document")
@click.option("--client-id", default=None)
@click.option("--client-secret-env", default=None, metavar="VAR",
              help="read the client secret from this environment variable (never from the command line)")
@click.option("--public-client", is_flag=True, help="remove the stored client secret")
@click.option("--scopes", default=None, help='e.g. "openid email profile"')
@click.option("--email-claim", default=None)
@click.option("--name-claim", default=None)
@click.option("--groups-claim", default=None)
@click.option("--allowed-domain", "domains", multiple=True, help="allowed e-mail domain (repeat); replaces the list")
@click.option("--clear-domains", is_flag=True, help="allow every e-mail domain the provider vouches for")
@click.option("--map", "mappings", multiple=True, metavar='"GROUP=ROLE[,ROLE]"',
              help="group → roles (repeat); replaces the mapping")
@click.option("--clear-mapping", is_flag=True, help="no mapping: every new user is a member")
@click.option("--verified-domain", "verified", multiple=True,
              help="e-mail domain verified for the tenant (repeat; replaces the list): an existing account "
                   "without a TMG-only role may be linked by its address in it")
@click.option("--clear-verified-domains", is_flag=True, help="no verified domain: only pre-provisioned accounts link")
@click.option("--enable/--disable", "enabled", default=None, help="offer (or stop offering) this login")
@click.option("--required-acr", default=None, help='acr values the ID token must carry one of ("" for none)')
@click.option("--require-mfa/--no-require-mfa", "require_mfa", default=None,
              help="the ID token's amr must name a second factor (mfa, otp, hwk …)")
@click.option("--roles-from-idp/--roles-in-portal", "roles_from_idp", default=None,
              help="roles follow the IdP's groups at every login, or are managed in the portal")
@click.option("--groups-overage-host", default=None,
              help='host asked for the groups of an Entra ID overage token, e.g. graph.microsoft.com ("" = refuse)')
@click.option("--token-auth-method", type=click.Choice(["client_secret_basic", "private_key_jwt"]), default=None,
              help="client authentication at the token endpoint (private_key_jwt: the portal's key, `sso keys`)")
@click.option("--secret-expires", default=None, metavar="YYYY-MM-DD",
              help='expiry date of the client secret at the IdP ("" for none): admins are reminded 60 and 14 days '
                   "before")
@click.option("--inactivity-days", type=int, default=None,
              help="deactivate a person not seen at the provider for this many days (0: never; default 90)")
def set_command(tenant_code: str, issuer: Optional[str], client_id: Optional[str], client_secret_env: Optional[str],
                public_client: bool, scopes: Optional[str], email_claim: Optional[str], name_claim: Optional[str],
                groups_claim: Optional[str], domains: tuple[str, ...], clear_domains: bool,
                mappings: tuple[str, ...], clear_mapping: bool, verified: tuple[str, ...],
                clear_verified_domains: bool, enabled: Optional[bool], required_acr: Optional[str],
                require_mfa: Optional[bool], roles_from_idp: Optional[bool],
                groups_overage_host: Optional[str], token_auth_method: Optional[str],
                secret_expires: Optional[str], inactivity_days: Optional[int]) -> None:
    """Create or change a tenant's provider; options not given keep their current value."""
    secret: Optional[str] = None
    if client_secret_env:
        if client_secret_env not in os.environ:
            raise click.ClickException(f"environment variable {client_secret_env} is not set")
        secret = os.environ[client_secret_env]
    if public_client:
        secret = ""
    try:
        with owner_session(), as_tenant(tenant_code):
            current = get_provider(tenant_code)
            if current is None and not (issuer and client_id):
                raise click.ClickException("a new provider needs --issuer and --client-id")
            allowed = mappable_roles(tenant_code, by_operator=True)
            data = ProviderSettings(
                issuer=issuer or (current.issuer if current else ""),
                client_id=client_id or (current.client_id if current else ""),
                client_secret=secret,
                scopes=scopes or (current.scopes if current else "openid email profile"),
                email_claim=email_claim or (current.email_claim if current else "email"),
                name_claim=name_claim or (current.name_claim if current else "name"),
                groups_claim=groups_claim or (current.groups_claim if current else "groups"),
                allowed_domains=([] if clear_domains else parse_domains(" ".join(domains)) if domains
                                 else list(current.allowed_domains if current else [])),
                role_mapping=({} if clear_mapping else parse_role_mapping("\n".join(mappings), allowed) if mappings
                              else full_mapping(current) if current else {}),
                verified_domains=([] if clear_verified_domains else parse_domains(" ".join(verified)) if verified
                                  else None),
                is_enabled=enabled if enabled is not None else (current.is_enabled if current else True),
                roles_from_idp=(roles_from_idp if roles_from_idp is not None
                                else bool(current.roles_from_idp) if current else False),
                required_acr=(required_acr if required_acr is not None
                              else current.required_acr if current else ""),
                require_mfa_amr=(require_mfa if require_mfa is not None
                                 else bool(current.require_mfa_amr) if current else False),
                groups_overage_host=(groups_overage_host if groups_overage_host is not None
                                     else current.groups_overage_host if current else ""),
                token_auth_method=(token_auth_method or (current.token_auth_method if current
                                                         else "client_secret_basic")),
                client_secret_expires_on=(_expiry_date(secret_expires) if secret_expires is not None
                                          else current.client_secret_expires_on if current else None),
                inactivity_days=(inactivity_days if inactivity_days is not None
                                 else current.inactivity_days if current else 90),
            )
            save_provider(tenant_code, data, by_operator=True)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"SSO settings of {tenant_code} saved.")


def _expiry_date(text: str) -> Optional[date]:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise click.ClickException(f"--secret-expires: not a date (YYYY-MM-DD): {text[:40]}") from error


@sso_cli.command("show")
@click.option("--tenant", "tenant_code", default=None, help="one tenant (default: every tenant with a provider)")
def show_command(tenant_code: Optional[str]) -> None:
    """Print the settings (never the secret, only whether one is stored)."""
    with owner_session():
        codes = [tenant_code] if tenant_code else _configured_codes()
        for code in codes:
            with as_tenant(code):
                provider = get_provider(code)
            if provider is None:
                click.echo(f"{code}: no provider")
                continue
            click.echo(f"{code}: {'enabled' if provider.is_enabled else 'disabled'}")
            click.echo(f"  issuer         {provider.issuer}")
            click.echo(f"  client id      {provider.client_id}")
            click.echo(f"  client secret  {'stored (encrypted)' if provider.client_secret_enc else 'none'}")
            auth = provider.token_auth_method
            if provider.client_secret_expires_on is not None:
                auth += f", secret expires {provider.client_secret_expires_on.isoformat()}"
            click.echo(f"  client auth    {auth}")
            click.echo(f"  scopes         {provider.scopes}")
            click.echo(f"  claims         e-mail={provider.email_claim} name={provider.name_claim} "
                       f"groups={provider.groups_claim}")
            click.echo(f"  domains        {', '.join(provider.allowed_domains or []) or '(any)'}")
            click.echo(f"  verified       {', '.join(provider.verified_domains or []) or '(none)'}")
            for line in (format_role_mapping(full_mapping(provider)) or "(none: member)").splitlines():
                click.echo(f"  mapping        {line}")


@sso_cli.command("expect")
@click.option("--tenant", "tenant_code", required=True, help="6-digit local government code")
@click.option("--email", required=True, help="the existing account to prepare")
def expect_command(tenant_code: str, email: str) -> None:
    """Pre-provision an existing account for the tenant's current issuer: its first SSO login links it."""
    try:
        with owner_session(), as_tenant(tenant_code):
            user = expect_identity(tenant_code, email, by_operator=True)
            click.echo(f"{user.email} in {tenant_code} links at its first login through {user.issuer}.")
    except ServiceError as error:
        raise click.ClickException(error.message) from error


def _configured_codes() -> list[str]:
    """Tenants with a provider row (enabled or not), read tenant by tenant under RLS."""
    from tenants.models import Tenant

    codes = []
    for code in db.session.scalars(select(Tenant.code).order_by(Tenant.code)).all():
        with as_tenant(code):
            if db.session.get(SsoProvider, code) is not None:
                codes.append(code)
    return codes


@sso_cli.command("rekey")
def rekey_command() -> None:
    """Re-encrypt every stored client secret with the first key of SSO_SECRET_KEY (key rotation)."""
    count = 0
    try:
        with owner_session():
            for code in _configured_codes():
                with as_tenant(code):  # each municipality's rows under its own binding
                    provider = get_provider(code)
                    if provider is not None and provider.client_secret_enc:
                        provider.client_secret_enc = rotate_secret(provider.client_secret_enc)
                        audit.record("sso.rekey", "sso_provider", code, tenant_id=code)
                        count += 1
                    # The candidate and previous providers keep their secrets too (a switch or rollback uses them).
                    standbys = select(SsoStandbyProvider).where(SsoStandbyProvider.tenant_id == code)
                    for standby in db.session.scalars(standbys):
                        if (standby.settings or {}).get("client_secret_enc"):
                            rotated = rotate_secret(standby.settings["client_secret_enc"])
                            standby.settings = {**standby.settings, "client_secret_enc": rotated}
                            audit.record("sso.rekey", "sso_provider", f"{code}:{standby.slot}", tenant_id=code)
                            count += 1
                    db.session.flush()  # written while this municipality is bound
            keys = rekey_private_keys()
    except SecretKeyError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{count} client secret(s) and {keys} signing key(s) re-encrypted with the primary key.")


@sso_cli.command("deactivate-inactive")
@click.option("--tenant", "tenant_code", default=None, help="one tenant (default: every tenant with a provider)")
@click.option("--dry-run", is_flag=True, help="only list who would be deactivated")
def deactivate_inactive_command(tenant_code: Optional[str], dry_run: bool) -> None:
    """Deactivate the people not seen at their provider for the tenant's inactivity_days (also run daily by
    `flask notifications remind`); their sessions end, the tenant admins are told."""
    from datetime import UTC, datetime

    from tenants.context import as_tenant
    from tenants.sso.inactivity import deactivate_inactive, inactive_users, tenants_with_provider

    now = datetime.now(UTC)
    total = 0
    for code in [tenant_code] if tenant_code else tenants_with_provider():
        with as_tenant(code):
            people = inactive_users(code, now) if dry_run else deactivate_inactive(code, now)
        for person in people:
            click.echo(f"{code}\t{person.email}\tlast seen {person.last_seen:%Y-%m-%d}")
        total += len(people)
    db.session.commit()
    click.echo(f"{total} account(s) {'would be ' if dry_run else ''}deactivated.")


from tenants.sso.keys_cli import keys_cli  # noqa: E402  (the `flask sso keys` subgroup)

sso_cli.add_command(keys_cli)
