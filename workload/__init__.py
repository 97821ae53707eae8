"""業務量調査 (workload surveys): task lists, survey rounds, results and a privacy-safe peer benchmark."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry
from tenants.roles import Permission

bp = Blueprint("workload", __name__, template_folder="templates", url_prefix="/workload")
register_nav_entry(55, _l("Workload surveys"), "workload.index", lambda u: u.can(Permission.WORKLOAD_ENTER))
# TMG's curators go straight to the standard list (their /workload/ would only redirect there).
register_nav_entry(56, _l("Workload surveys"), "workload.standard_list",
                   lambda u: u.can(Permission.WORKLOAD_STANDARD) and not u.can(Permission.WORKLOAD_ENTER))

from workload import api, audit_objects, views, waiting  # noqa: E402,F401
