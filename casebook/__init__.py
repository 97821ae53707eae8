"""Private cases, submissions, curation, the published casebook, search, adoption, questions."""
from flask import Blueprint

import tenants  # noqa: F401  (tenants before portal.audit, so `import casebook.x` alone works)

bp = Blueprint("casebook", __name__, template_folder="templates")


@bp.record_once
def _init(state) -> None:  # type: ignore[no-untyped-def]
    from casebook.helpers import init_templates

    init_templates(state.app)


from casebook import api, events, models, views, waiting  # noqa: E402,F401
