"""Joint procurement (共同調達): projects, demand, tiers, allocation, quotes, OCDS export."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry

bp = Blueprint("procurement", __name__, template_folder="templates", url_prefix="/procurement")
register_nav_entry(40, _l("Joint procurement"), "procurement.index", lambda u: True)

from procurement import api, audit_objects, events, views, waiting  # noqa: E402,F401
