"""Demo data: two TMG projects — one collecting demand, one awarded to three municipalities — and one
project led by 江東区, awarded to itself, 青梅市 and 千代田区 (a municipality as organiser).

Runs as the owner inside ``flask demo load`` (idempotent: a project whose title exists is skipped).
RLS is forced for the owner too, so every write binds the acting user's tenant first.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from devtools.demo import CHIYODA, KOTO, OME
from kernel.extensions import db
from procurement import common, declarations, services
from procurement.allocation import Tier
from procurement.models import Project
from tenants.context import bind_tenant
from tenants.models import TMG_CODE, User

OPEN_TITLE = "AI-OCR 共同調達（令和9年度）"
AWARDED_TITLE = "電子申請システム 共同調達（令和8年度）"
LED_TITLE = "RPA ライセンス 共同調達（江東区幹事・令和8年度）"


def _user(tenant: str, email: str) -> User:
    bind_tenant(tenant)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    if user is None:
        raise RuntimeError(f"demo user {email} is missing: load the demo users first")
    bind_tenant(tenant, user.id)
    return user


def _project(curator: User, title: str, items: tuple[tuple[str, str], ...], start_fy: int, category: str,
             description: str = "東京都が取りまとめる共同調達のデモ案件です。") -> Project:
    bind_tenant(curator.tenant_id, curator.id)
    opens = common.now() - timedelta(days=7)
    project = services.create_project(curator, services.ProjectData(
        title=title, description=description, category=category,
        survey_opens_at=opens, survey_closes_at=opens + timedelta(days=60), contract_start_fy=start_fy,
        contract_end_fy=start_fy + 2, items=items))
    services.add_quote(curator, project, "株式会社デモ商事", "1234567890123", "", {
        project.items[0].id: (300_000, [Tier(1, 12_000), Tier(50, 10_000), Tier(200, 8_000)]),
        **({project.items[1].id: (0, [Tier(1, 50_000), Tier(5, 45_000)])} if len(project.items) > 1 else {}),
    })
    services.transition(curator, project, "demand_survey")
    return project


def _declare(project: Project, tenant: str, email: str, quantities: list[int], budget: int) -> None:
    user = _user(tenant, email)
    declarations.save_declaration(user, project, declarations.DeclarationData(
        quantities={item.id: q for item, q in zip(project.items, quantities, strict=True)}, intent="commit",
        max_budget_yen=budget, contact_name=user.display_name, contact_email=user.email), None)


def load_demo() -> str:
    """Create the demo projects unless they exist; returns a one-line summary."""
    curator = _user(TMG_CODE, "curator@metro.tokyo.example.jp")
    existing = set(db.session.scalars(select(Project.title)))
    created = 0
    if OPEN_TITLE not in existing:
        _project(curator, OPEN_TITLE, (("AI-OCR ライセンス", "licence"),), 2027, "ai_ocr")
        created += 1
    if AWARDED_TITLE not in existing:
        project = _project(curator, AWARDED_TITLE, (("電子申請 利用者ライセンス", "user"), ("導入支援", "set")), 2026,
                           "e_application")
        _declare(project, OME, "admin@ome.example.jp", [40, 1], 3_000_000)
        _declare(project, KOTO, "admin@koto.example.jp", [120, 1], 6_000_000)
        _declare(project, CHIYODA, "cio@chiyoda.example.jp", [60, 1], 4_000_000)
        curator = _user(TMG_CODE, "curator@metro.tokyo.example.jp")
        for status in ("survey_closed", "tendering"):
            services.transition(curator, project, status)
        services.award(curator, project, project.quotes[0].id)
        services.transition(curator, project, "contracted")
        created += 1
    if LED_TITLE not in existing:
        _led_project()
        created += 1
    db.session.flush()
    bind_tenant(None)
    return f"procurement: {created} demo projects created"


def _led_project() -> None:
    """江東区 organises; its tenant admin is the organiser, its members see only the totals and their own row."""
    lead = _user(KOTO, "admin@koto.example.jp")
    project = _project(lead, LED_TITLE, (("RPA 実行ライセンス", "licence"), ("導入研修", "set")), 2026, "rpa",
                       "江東区が幹事となり、近隣団体と RPA ライセンスをまとめて調達するデモ案件です。")
    _declare(project, KOTO, "admin@koto.example.jp", [30, 1], 2_500_000)
    _declare(project, OME, "admin@ome.example.jp", [10, 1], 1_200_000)
    _declare(project, CHIYODA, "cio@chiyoda.example.jp", [20, 1], 1_800_000)
    lead = _user(KOTO, "admin@koto.example.jp")
    for status in ("survey_closed", "tendering"):
        services.transition(lead, project, status)
    services.award(lead, project, project.quotes[0].id)
