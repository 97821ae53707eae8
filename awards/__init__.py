"""Award programmes: categories, rubrics, entries, judges, conflicts, scores, results."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry

bp = Blueprint("awards", __name__, template_folder="templates", url_prefix="/awards")
register_nav_entry(50, _l("Awards"), "awards.index", lambda u: True)

from awards import audit_objects, events, views, waiting  # noqa: E402,F401
