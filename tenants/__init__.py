"""Tenants, users, memberships, roles, tenant context and RLS plumbing; tenant admin pages."""
from flask import Blueprint

bp = Blueprint("tenants", __name__, template_folder="templates", url_prefix="/admin")

from tenants import directory, views  # noqa: E402,F401  (directory: the people hook of kernel.notifications)
