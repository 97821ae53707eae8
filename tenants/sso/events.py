"""Who is told of what in SSO (rows of docs/notifications.md). Parameters: ``tenant_id``, ``name`` (the
person whose roles changed), ``roles`` (their roles now, comma-separated role names)."""
from kernel.notifications import N_, register_event, role_in_tenant

register_event("tenants.sso_roles_changed", role_in_tenant("tenant_admin"),
               N_("The identity provider's groups changed the roles of %(name)s to: %(roles)s"), catalogue="tenants")
