"""The CIO forum (bodies, meetings, minutes, follow-up actions) and the DX talent network."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry
from tenants.roles import Permission

bp = Blueprint("community", __name__, template_folder="templates", url_prefix="/community")
register_nav_entry(57, _l("CIO forum"), "community.index",
                   lambda u: u.can(Permission.COMMUNITY_PARTICIPATE) or u.can(Permission.COMMUNITY_ORGANISE))

from community import audit_objects, events, views, waiting  # noqa: E402,F401
