"""Tenants, users, memberships, roles, tenant context and RLS plumbing; tenant admin pages."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry
from tenants.roles import Permission

bp = Blueprint("tenants", __name__, template_folder="templates", url_prefix="/admin")
register_nav_entry(60, _l("Administration"), "tenants.admin_index",
                   lambda u: u.can(Permission.TENANT_MANAGE_USERS) or u.can(Permission.TENANT_VIEW_AUDIT))

from tenants import audit_objects, directory, views  # noqa: E402,F401  (directory: the people hook of kernel.notifications; audit_objects: names in the audit log)
