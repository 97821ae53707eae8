"""Private cases, submissions, curation, the published casebook, search, adoption, questions."""
from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState
from flask_babel import lazy_gettext as _l

from kernel.navigation import register_nav_entry
from tenants.roles import Permission

bp = Blueprint("casebook", __name__, template_folder="templates")
# Two sections in one blueprint: own cases (cases_*) and the shared casebook (casebook_*).
register_nav_entry(20, _l("Cases"), "casebook.cases_index", lambda u: u.can(Permission.CASES_READ_OWN),
                   section="cases")
register_nav_entry(30, _l("Casebook"), "casebook.casebook_index", lambda u: u.can(Permission.CASEBOOK_READ),
                   section="casebook")
# The curators' review queue: their daily work, one click from every page (issue 17.6).
register_nav_entry(35, _l("Review queue"), "casebook.curation_queue", lambda u: u.can(Permission.CASEBOOK_CURATE),
                   section="curation")


@bp.record_once
def _init(state: BlueprintSetupState) -> None:
    from casebook.helpers import init_templates

    init_templates(cast(Flask, state.app))


from casebook import api, audit_objects, events, models, views, waiting  # noqa: E402,F401
