"""How the audit log names the objects ``tenants`` owns besides people (``tenants.audit_queries._users``):
API tokens, municipalities, single sign-on settings, the portal's signing keys, permissions and API scopes.

Each resolver is one statement at most, read as the viewer (RLS bound to the viewer's tenant), and names only
what the viewer's own municipality holds; a label is in the viewer's language.
"""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kernel.audit import ObjectQuery, object_rows, register_object_resolver
from kernel.i18n import current_lang
from tenants.models import Tenant
from tenants.roles import Permission
from tenants.tokens import SCOPES, ApiToken, scope_label

Named = dict[str, tuple[str, Optional[str]]]

# What each permission lets a person do, for the audit log's "access denied" entries.
PERMISSION_LABELS = {
    Permission.CASES_READ_OWN: _l("Read the municipality's cases"),
    Permission.CASES_WRITE_OWN: _l("Write the municipality's cases"),
    Permission.CASEBOOK_READ: _l("Read the casebook"),
    Permission.CASEBOOK_CURATE: _l("Curate the casebook"),
    Permission.DEMAND_DECLARE: _l("Declare demand in joint procurement"),
    Permission.PROCUREMENT_ORGANISE: _l("Organise joint procurement"),
    Permission.AWARD_ENTRY_DRAFT: _l("Draft award entries"),
    Permission.AWARDS_ORGANISE: _l("Organise awards"),
    Permission.AWARDS_JUDGE: _l("Judge awards"),
    Permission.TENANT_APPROVE_RELEASE: _l("Approve what leaves the municipality"),
    Permission.TENANT_MANAGE_USERS: _l("Manage users and roles"),
    Permission.TENANT_MANAGE_SSO: _l("Manage single sign-on"),
    Permission.TENANT_VIEW_AUDIT: _l("Read the audit log"),
    Permission.OPS_VIEW: _l("Operate the portal"),
    Permission.WORKLOAD_ENTER: _l("Enter workload figures"),
    Permission.WORKLOAD_MANAGE: _l("Run workload surveys"),
    Permission.WORKLOAD_STANDARD: _l("Keep the standard task list"),
    Permission.COMMUNITY_PARTICIPATE: _l("Take part in the community"),
    Permission.COMMUNITY_MANAGE: _l("Keep the municipality's roster and training"),
    Permission.COMMUNITY_ORGANISE: _l("Organise the CIO forum"),
    Permission.SUPPORT_REQUEST: _l("Request support"),
    Permission.SUPPORT_DESK: _l("Work at the support desk"),
}


def _api_tokens(viewer: Any, numbers: list[int]) -> Any:
    """A token by its name; linked (the profile page) for its owner only — nobody else may open it."""
    mine = str(viewer.id)
    return ObjectQuery(object_rows(ApiToken.id, ApiToken.name, ApiToken.user_id).where(
        ApiToken.tenant_id == viewer.tenant_id, ApiToken.id.in_(numbers)),
        lambda row: (row.title, "/profile/" if row.extra == mine else None))


def _tenants(viewer: Any, ids: list[str]) -> Any:
    """A municipality by its name (reference data every user sees, in the viewer's language)."""
    codes = [i for i in ids if i.isdigit() and len(i) == 6]
    if not codes:
        return {}
    name = Tenant.name_en if current_lang() == "en" else Tenant.name_ja
    return ObjectQuery(object_rows(Tenant.code, name).where(Tenant.code.in_(codes)), lambda row: (row.title, None))


def _sso_providers(viewer: Any, ids: list[str]) -> Named:
    """The municipality's single sign-on settings (``<code>`` or ``<code>:<slot>``): the viewer's own only."""
    link = "/admin/sso" if viewer.can(Permission.TENANT_MANAGE_SSO) else None
    named: Named = {}
    for written in ids:
        code, _sep, slot = written.partition(":")
        if code != viewer.tenant_id:
            continue  # another municipality's settings are never named
        if slot == "candidate":
            named[written] = (_("Single sign-on: candidate provider"), link and "/admin/sso/change")
        elif slot == "previous":
            named[written] = (_("Single sign-on: previous provider"), link and "/admin/sso/change")
        else:
            named[written] = (_("Single sign-on settings"), link)
    return named


def _signing_keys(viewer: Any, ids: list[str]) -> Named:
    """The portal's own signing key by its key id (public in the JWKS document)."""
    return {kid: (_("Portal signing key %(kid)s", kid=kid), None) for kid in ids}


def _permissions(viewer: Any, ids: list[str]) -> Named:
    labels = {permission.value: label for permission, label in PERMISSION_LABELS.items()}
    return {value: (str(labels[value]), None) for value in ids if value in labels}


def _api_scopes(viewer: Any, ids: list[str]) -> Named:
    return {scope: (scope_label(scope), None) for scope in ids if scope in SCOPES}


register_object_resolver("api_token", _api_tokens, numeric=True)
register_object_resolver("tenant", _tenants)
register_object_resolver("sso_provider", _sso_providers)
register_object_resolver("sso_signing_key", _signing_keys)
register_object_resolver("permission", _permissions)
register_object_resolver("api_scope", _api_scopes)
