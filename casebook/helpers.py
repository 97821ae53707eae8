"""Template helpers of the casebook pages and its home-dashboard figures."""
from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from casebook.labels import (
    ADOPTION_LABELS,
    FIELD_LABELS,
    KIND_LABELS,
    REGION_LABELS,
    STAGE_LABELS,
    SYNONYM_LAYER_LABELS,
)
from casebook.models import CaseCount
from casebook.rendering import render_markdown
from casebook.waiting import APPROVALS, REVIEW_QUEUE
from kernel.dashboard import FigureCount, register_figures
from kernel.i18n import format_fiscal_year
from kernel.numbers import parse_whole
from kernel.waiting import VIEWER_TENANT
from tenants.roles import Permission

RELEASE_LABELS = {"draft": _l("Draft"), "proposed": _l("Awaiting approval"), "approved": _l("Approved for release")}
SUBMISSION_LABELS = {"queued": _l("In the curators' queue"), "changes_requested": _l("Changes requested"),
                     "published": _l("Published"), "superseded": _l("Superseded")}


def _label(table: dict[str, Any], key: Any) -> str:
    return str(table.get(key, key))


def facet_label(name: str, value: str) -> str:
    if name == "kind":
        return _label(KIND_LABELS, value)
    if name == "region":
        return _label(REGION_LABELS, value)
    if name == "stage":
        return _label(STAGE_LABELS, value)
    year = parse_whole(str(value)) if name == "fiscal_year" else None
    if year is not None:
        return format_fiscal_year(year)
    return str(value)


def markdown_filter(text: str | None) -> Markup:
    return render_markdown(text)


def init_templates(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = markdown_filter
    app.jinja_env.globals.update(
        stage_label=lambda k: _label(STAGE_LABELS, k),
        release_label=lambda k: _label(RELEASE_LABELS, k),
        state_filter_label=lambda k: _label(SUBMISSION_LABELS if k == "changes_requested" else RELEASE_LABELS, k),
        submission_label=lambda k: _label(SUBMISSION_LABELS, k),
        adoption_label=lambda k: _label(ADOPTION_LABELS, k),
        field_label=lambda k: _label(FIELD_LABELS, k),
        synonym_layer_label=lambda k: _label(SYNONYM_LAYER_LABELS, k),
        facet_label=facet_label,
        permission=lambda name: Permission[name],
    )


# The municipality's cases, counted with the dashboard's other counts (kernel/dashboard.py), from the count the
# database keeps (casebook.models.CaseCount): counting the rows themselves cost 0.1 ms of PostgreSQL CPU per
# dashboard at 2,000 cases, growing with them. The one row's count (max keeps its bigint), or 0 while the
# municipality has never had a case (no row yet).
_OUR_CASES = select(func.coalesce(func.max(CaseCount.cases), 0)).where(CaseCount.tenant_id == VIEWER_TENANT)


@register_figures(fixed=True)
def _case_figures(user: Any) -> list[FigureCount]:
    """Cases of the user's municipality, what awaits its sign-off, and the curators' queue."""
    # The last two are the counts of "waiting for you" items (casebook/waiting.py), asked once for both.
    figures: list[FigureCount] = []
    if user.can(Permission.CASES_READ_OWN):
        figures.append(FigureCount(_("Our cases"), _OUR_CASES, url_for("casebook.cases_index")))
        if user.can(Permission.TENANT_APPROVE_RELEASE):
            figures.append(FigureCount(_("Cases awaiting your approval"), APPROVALS,
                                       url_for("casebook.cases_index", state="proposed")))
    if user.can(Permission.CASEBOOK_CURATE):
        figures.append(FigureCount(_("Submissions in the curators' queue"), REVIEW_QUEUE,
                                   url_for("casebook.curation_queue")))
    return figures
