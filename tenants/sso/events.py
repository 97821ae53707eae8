"""Who is told of what in SSO (rows of docs/notifications.md). Parameters: ``tenant_id``, ``name`` (the
person whose roles changed), ``roles`` (their roles now, comma-separated role names)."""
from kernel.notifications import N_, register_event, role_in_tenant

register_event("tenants.sso_roles_changed", role_in_tenant("tenant_admin"),
               N_("The identity provider's groups changed the roles of %(name)s to: %(roles)s"), catalogue="tenants")
# Provider changes (issue 23, point 3): ``issuer`` (now active), ``previous`` (the one replaced);
# ``count`` (accounts planned) and ``issuer`` of a confirmed re-link plan.
register_event("tenants.sso_provider_switched", role_in_tenant("tenant_admin"),
               N_("The municipality's identity provider was switched to %(issuer)s (previous: %(previous)s)"),
               catalogue="tenants")
register_event("tenants.sso_relink_planned", role_in_tenant("tenant_admin"),
               N_("A re-link plan was confirmed: %(count)s account(s) re-link at their first login through "
                  "%(issuer)s"), catalogue="tenants")
# Inactivity (issue 23, point 2): ``count`` accounts deactivated, ``days`` the period, ``names`` (the first ten).
register_event("tenants.inactive_deactivated", role_in_tenant("tenant_admin"),
               N_("%(count)s account(s) not seen at the identity provider for %(days)s days were deactivated: "
                  "%(names)s"), catalogue="tenants")
