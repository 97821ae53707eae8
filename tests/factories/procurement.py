"""Procurement objects for tests: projects made through the services, as their real users."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from procurement import declarations, services
from procurement.allocation import Tier
from procurement.models import Project
from tests.factories.tenants import user

CURATOR = "curator"
TIERS = [Tier(1, 1000), Tier(100, 800), Tier(250, 700)]  # yen per licence
SETUP_FEE = 100_000




def make_project(organiser: str = CURATOR, status: str = "demand_survey", title: str = "テスト案件",
                 items: tuple[tuple[str, str], ...] = (("AI-OCR ライセンス", "licence"),),
                 with_quote: bool = True, closes_in: timedelta = timedelta(days=10)) -> Project:
    """A project of the organiser's tenant, moved to ``status`` (draft or demand_survey)."""
    actor = user(organiser)
    opens = datetime.now(UTC) - timedelta(days=1)
    project = services.create_project(actor, services.ProjectData(
        title=title, description="説明", category="ai_ocr", survey_opens_at=opens,
        survey_closes_at=datetime.now(UTC) + closes_in, contract_start_fy=2027, contract_end_fy=2028, items=items))
    if with_quote:
        services.add_quote(actor, project, "株式会社テスト", "1234567890123", "",
                           {item.id: (SETUP_FEE, TIERS) for item in project.items})
    if status != "draft":
        services.transition(actor, project, "demand_survey")
    return project


def declare(project: Project, who: str, quantities: list[int], intent: str = "interested",
            budget: Optional[int] = 1_000_000, version: Any = None) -> Any:
    actor = user(who)
    return declarations.save_declaration(actor, project, declarations.DeclarationData(
        quantities={item.id: q for item, q in zip(project.items, quantities, strict=True)}, intent=intent,
        max_budget_yen=budget, contact_name=actor.display_name, contact_email=actor.email), version)
