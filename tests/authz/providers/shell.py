"""Values for the shell's rows of the authorization matrix (form data, not only paths, may name them):
a fresh word where a form must not repeat itself (an invitee's address), a fresh person to deactivate, and
the signed marker an autosaved draft carries."""
from __future__ import annotations

import secrets

from kernel import drafts
from tests.authz.providers import provides
from tests.conftest import OTHER_TENANT, OWN_TENANT


@provides("unique")
def unique(owner: str) -> str:
    """A word no other call gives (e.g. ``invitee-{unique:own}@ome.example.jp``)."""
    return secrets.token_hex(6)


@provides("spare_user")
def spare_user(owner: str) -> str:
    """A member of its own (青梅市 or 江東区) made for the row, so that deactivating them leaves the demo's people."""
    from tests.factories.tenants import make_user

    tenant = {"own": OWN_TENANT, "other": OTHER_TENANT}[owner]
    domain = {"own": "ome", "other": "koto"}[owner]
    return str(make_user(tenant, f"spare-{secrets.token_hex(6)}@{domain}.example.jp").id)


@provides("draft_marker")
def draft_marker(owner: str) -> str:
    """The marker of the new-case form as shown to 青梅市's member (own) or 江東区's member (other)."""
    from tests.factories.tenants import user

    person = user("member" if owner == "own" else "other_member")
    return drafts.marker_for(person.tenant_id, person.id, "/cases/new")


@provides("sso_provider")
def sso_provider(owner: str) -> str:
    """青梅市's (own) or 江東区's (other) single sign-on settings, active and without a candidate, so that a candidate
    can be saved and a re-link plan has a provider to aim at; the placeholder stands in the row's query string
    (the route reads none) and gives the municipality's code."""
    from sqlalchemy import delete

    from kernel.extensions import db
    from tenants.context import as_tenant
    from tenants.sso.models import SsoStandbyProvider
    from tenants.sso.services import ProviderSettings, get_provider, save_provider

    tenant = {"own": OWN_TENANT, "other": OTHER_TENANT}[owner]
    with as_tenant(tenant):
        if get_provider(tenant) is None:
            save_provider(tenant, ProviderSettings(issuer="http://127.0.0.1:9/matrix", client_id=f"yokoten-{tenant}",
                                                   client_secret="s3cret"), by_operator=True)
        db.session.execute(delete(SsoStandbyProvider).where(SsoStandbyProvider.tenant_id == tenant,
                                                            SsoStandbyProvider.slot == "candidate"))
        db.session.flush()
    return tenant
