"""Support engagements (伴走型支援): requests, TMG's triage and staffing, the shared workspace,
measured outcomes, the closing survey and the hand-over to the casebook."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry
from tenants.roles import Permission

bp = Blueprint("support", __name__, template_folder="templates", url_prefix="/support")
# The desk's entry links its board directly: /support/ only redirects a desk member there, and a
# navigation link that answers a redirect costs a round trip (and fails the a11y survey's check).
register_nav_entry(57, _l("Support"), "support.index",
                   lambda u: u.can(Permission.SUPPORT_REQUEST) and not u.can(Permission.SUPPORT_DESK))
register_nav_entry(57, _l("Support"), "support.desk_board", lambda u: u.can(Permission.SUPPORT_DESK))


@bp.context_processor
def _labels() -> dict[str, object]:
    from support.labels import template_globals

    return template_globals()


from support import api, audit_objects, events, views, waiting  # noqa: E402,F401
