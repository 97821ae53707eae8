"""Closing an engagement: the municipality's satisfaction survey and the hand-over to a draft case."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from support import access, notify, queries
from support.integration import create_case_from_support
from support.labels import INDICATOR_LABELS
from support.models import Engagement, Outcome, Survey
from support.services.common import bump, check_version, text


def answer_survey(actor: Any, engagement: Engagement, csat: Any, comment: str) -> Survey:
    """The municipality answers the closing survey once (CSAT 1-5 and free text); TMG's desk is told."""
    if not access.is_requester_side(actor, engagement):
        raise ServiceError(_("Only staff of the requesting municipality can do this."))
    if engagement.stage != "done":
        raise ServiceError(_("The survey opens when the engagement is completed."))
    if db.session.get(Survey, (engagement.tenant_id, engagement.id)) is not None:
        raise ServiceError(_("The survey has already been answered. Thank you."))
    try:
        score = int(csat)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ServiceError(_("Choose a rating from 1 to 5."), "csat")
    survey = Survey(tenant_id=engagement.tenant_id, engagement_id=engagement.id, csat=score,
                    comment=text(comment, 5000, "comment"), answered_by=actor.id)
    db.session.add(survey)
    db.session.flush()
    audit.record("support.survey", "support_engagement", engagement.id, after={"csat": score})
    notify.survey_answered(actor, engagement)
    return survey


def _number(value: Optional[Decimal]) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def outcome_line(outcome: Outcome) -> str:
    name = outcome.label or str(INDICATOR_LABELS.get(outcome.indicator, outcome.indicator))
    unit = outcome.unit
    line = (f"{name}: {_number(outcome.baseline_value)}{unit}"
            f"（{outcome.baseline_on:%Y-%m-%d}、{outcome.baseline_source}）")
    if outcome.after_value is not None and outcome.after_on is not None:
        line += f" → {_number(outcome.after_value)}{unit}（{outcome.after_on:%Y-%m-%d}、{outcome.after_source}）"
    return line


def handover_prefill(engagement: Engagement) -> dict[str, str]:
    """The draft case's fields from the engagement: problem, plan as approach, measured outcomes.

    Only what may leave the workspace: never the meeting notes, time logs or the survey."""
    outcomes = queries.outcomes(engagement)
    theme = next((t for t in queries.themes(active_only=False) if t.id == engagement.theme_id), None)
    return {
        "title": engagement.title, "summary": "", "problem": engagement.problem, "approach": engagement.plan,
        "outcomes": "\n".join(f"- {outcome_line(o)}" for o in outcomes),
        "themes": theme.name_ja if theme else "", "tools": "", "cost_jpy": "", "lessons": "",
    }


def hand_over(actor: Any, engagement: Engagement, fields: dict[str, str], expected_version: Optional[int]) -> int:
    """Create the pre-filled draft case in the municipality's own cases (once); returns its id."""
    if not access.is_requester_side(actor, engagement):
        raise ServiceError(_("Only staff of the requesting municipality can do this."))
    if engagement.stage != "done":
        raise ServiceError(_("A case can be created when the engagement is completed."))
    if engagement.case_id is not None:
        return engagement.case_id  # a repeated click: the case exists already
    check_version(engagement, expected_version)
    kpis = [{"name": o.label or str(INDICATOR_LABELS.get(o.indicator, o.indicator)), "unit": o.unit,
             "before": _number(o.baseline_value), "after": "" if o.after_value is None else _number(o.after_value),
             "measured_on": (o.after_on or o.baseline_on).isoformat()}
            for o in queries.outcomes(engagement)]
    case_id = create_case_from_support(fields, kpis, actor.id)
    engagement.case_id = case_id
    bump(engagement)
    db.session.flush()
    audit.record("support.handover", "support_engagement", engagement.id, after={"case": case_id})
    return case_id
