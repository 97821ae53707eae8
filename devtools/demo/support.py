"""Demo data: supporter profiles and realistic engagements in several stages (idempotent, runs as the owner).

Written directly under each municipality's binding (the owner is subject to the forced policies like
the application); no notification is sent.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

SUPPORTERS = {
    "supporter@metro.tokyo.example.jp": (60, {"bpr": 4, "change_management": 3, "project_management": 3,
                                             "service_design": 2}),
    "supporter2@metro.tokyo.example.jp": (40, {"data": 4, "security": 3, "procurement": 3, "bpr": 2}),
}

# (tenant, title, theme, department, problem, stage, days since received, plan, supporters)
ENGAGEMENTS: list[dict[str, Any]] = [
    {"tenant": "131083", "title": "保育所入所申請のオンライン化と審査業務の見直し", "theme": "online_application",
     "department": "こども未来部 保育課", "stage": "done", "age": 160,
     "problem": "保育所の入所申請は紙で年間約4,800件。窓口は毎年1月に1時間以上の待ちが発生し、"
                "審査のための転記と点数計算に"
                "職員が延べ3,000時間を費やしている。",
     "plan": "申請項目の棚卸し（BPR）→ 電子申請フォームの設計 → 点数計算の自動化 → 窓口の予約制。3か月で実施。",
     "supporters": ["supporter@metro.tokyo.example.jp", "supporter2@metro.tokyo.example.jp"],
     "outcomes": [("staff_hours", "", "時間/年", "3000", "1150"), ("waiting_minutes", "", "分", "65", "10"),
                  ("online_share", "", "%", "0", "72")],
     "survey": (5, "申請項目の棚卸しから一緒に考えていただき、課内の合意形成が進みました。")},
    {"tenant": "132055", "title": "書かない窓口の導入に向けた市民課窓口業務の見直し", "theme": "kakanai_madoguchi",
     "department": "市民部 市民課", "stage": "active", "age": 75,
     "problem": "転入・転居の手続で市民が最大8枚の申請書を手書きしている。繁忙期の待ち時間が平均50分。",
     "plan": "手続ごとの記載項目を洗い出し、住基システムからの印字で代替できる範囲を特定する。モデル窓口で2か月試行。",
     "supporters": ["supporter@metro.tokyo.example.jp"],
     "outcomes": [("waiting_minutes", "", "分", "50", None), ("processing_days", "", "日", "1", None)]},
    {"tenant": "132012", "title": "文書管理システム更新の調達仕様書作成支援", "theme": "procurement_spec",
     "department": "総務部 文書法制課", "stage": "plan", "age": 30,
     "problem": "現行システムの保守期限が令和9年度末。仕様書を作ったことのある職員がおらず、"
                "ベンダー依存の仕様になりがち。",
     "plan": "", "supporters": ["supporter2@metro.tokyo.example.jp"]},
    {"tenant": "133078", "title": "情報セキュリティポリシーの改定（クラウド利用を踏まえて）", "theme": "security",
     "department": "総務課", "stage": "intake", "age": 2,
     "problem": "国のガイドライン改定に合わせてポリシーを見直したいが、専任の担当者がいない。",
     "plan": "", "supporters": []},
    {"tenant": "131211", "title": "生成AIの庁内利用ガイドラインと試行", "theme": "generative_ai",
     "department": "政策経営部 デジタル推進課", "stage": "prioritise", "age": 21,
     "problem": "職員から生成AIを使いたいという声が多いが、ルールがなく利用を止めている。",
     "plan": "", "supporters": []},
    {"tenant": "132098", "title": "庁内データ利活用の基盤づくり", "theme": "data", "department": "デジタル戦略室",
     "stage": "on_hold", "age": 90, "hold": "予算要求の結果（2月）を待って再開する。",
     "problem": "部署ごとにExcelで管理された統計データを横断して使えない。", "plan": "", "supporters": []},
]
DRAFT = {"tenant": "131016", "title": "住民票等の郵送請求業務の効率化", "theme": "bpr", "department": "区民課",
         "problem": "郵送請求が月600件あり、手作業での照合と返送に時間がかかっている。"}
FLOW = ("intake", "prioritise", "qualify", "plan", "active", "done")


def load_demo() -> str:
    """Supporter profiles and engagements, idempotently."""
    from sqlalchemy import select

    from kernel.extensions import db
    from support.models import Engagement, Skill, Supporter, SupporterSkill, Theme
    from tenants.context import bind_tenant
    from tenants.models import TMG_CODE, User

    bind_tenant(TMG_CODE)
    skills = {s.category: s for s in db.session.scalars(select(Skill))}
    themes = {t.code: t for t in db.session.scalars(select(Theme))}
    people: dict[str, User] = {}
    for email, (capacity, levels) in SUPPORTERS.items():
        user = db.session.scalar(select(User).where(User.tenant_id == TMG_CODE, User.email == email))
        if user is None:
            continue
        people[email] = user
        if db.session.get(Supporter, (TMG_CODE, user.id)) is None:
            db.session.add(Supporter(tenant_id=TMG_CODE, user_id=user.id, display_name=user.display_name,
                                     capacity_hours=capacity))
            db.session.flush()
            for category, level in levels.items():
                db.session.add(SupporterSkill(tenant_id=TMG_CODE, user_id=user.id, skill_id=skills[category].id,
                                              level=level))
    db.session.flush()
    created = 0
    for spec in [*ENGAGEMENTS, DRAFT]:
        bind_tenant(spec["tenant"])
        if db.session.scalar(select(Engagement.id).where(Engagement.tenant_id == spec["tenant"],
                                                         Engagement.title == spec["title"])) is not None:
            continue
        _engagement(spec, themes, people)
        created += 1
    bind_tenant(None)
    return f"support: {len(people)} supporters, {created} engagements created"


def _engagement(spec: dict[str, Any], themes: dict[str, Any], people: dict[str, Any]) -> None:
    from sqlalchemy import select

    from kernel.extensions import db
    from support.models import (
        Engagement,
        Meeting,
        NextAction,
        Outcome,
        StageEvent,
        SupporterAssignment,
        Survey,
        TimeLog,
    )
    from tenants.models import Membership, User

    tenant = spec["tenant"]
    requester = db.session.scalar(select(User).join(Membership, (Membership.tenant_id == User.tenant_id) & (
        Membership.user_id == User.id)).where(User.tenant_id == tenant).order_by(User.id).limit(1))
    requester_name = f"{requester.display_name}" if requester else "担当者"
    stage = spec.get("stage")
    now = datetime.now(UTC)
    received = now - timedelta(days=spec.get("age", 0))
    engagement = Engagement(
        tenant_id=tenant, title=spec["title"], theme_id=themes[spec["theme"]].id, problem=spec["problem"],
        department=spec["department"], desired_start=(received + timedelta(days=14)).date(),
        desired_end=(received + timedelta(days=120)).date(), release_state="submitted" if stage else "draft",
        stage=stage, plan=spec.get("plan", ""), created_by=requester.id if requester else None,
        created_by_name=requester_name, priority="high" if stage in ("active", "done", "plan") else None,
        submitted_at=received if stage else None, created_at=received - timedelta(days=3))
    db.session.add(engagement)
    db.session.flush()
    if not stage:
        return
    path = list(FLOW[:FLOW.index(stage) + 1]) if stage in FLOW else ["intake", "prioritise", "qualify", stage]
    span = spec.get("age", 0) / max(1, len(path))
    previous = None
    for i, step in enumerate(path):
        at = received + timedelta(days=span * i)
        db.session.add(StageEvent(tenant_id=tenant, engagement_id=engagement.id, from_stage=previous, to_stage=step,
                                  reason=spec.get("hold", "") if step == "on_hold" else "", actor_tenant_id="130001",
                                  actor_name="都庁 伴走 支援（東京都）", occurred_at=at))
        previous = step
        engagement.stage_entered_at = at
    if stage == "done":
        engagement.closed_at = engagement.stage_entered_at
    for email in spec.get("supporters", []):
        person = people.get(email)
        if person is None:
            continue
        db.session.add(SupporterAssignment(tenant_id=tenant, engagement_id=engagement.id, supporter_user_id=person.id,
                                  supporter_name=f"{person.display_name}（東京都）",
                                  is_lead=email.startswith("supporter@"),
                                  planned_hours=16, reason="デモデータ", assigned_at=received + timedelta(days=5)))
        for week in range(3):
            db.session.add(TimeLog(tenant_id=tenant, engagement_id=engagement.id, user_id=person.id,
                                   user_name=f"{person.display_name}（東京都）",
                                   activity=("meeting", "analysis", "workshop")[week], minutes=90 + 30 * week,
                                   logged_on=(received + timedelta(days=10 + 7 * week)).date(),
                                   note=("キックオフ", "業務フローの可視化", "職員向けワークショップ")[week]))
    if stage in ("active", "done"):
        db.session.add(Meeting(tenant_id=tenant, engagement_id=engagement.id,
                               held_on=(received + timedelta(days=10)).date(), title="キックオフ会議",
                               attendees=f"{requester_name}、都庁 伴走 支援",
                               notes="現状の業務フローと課題を共有した。"))
        db.session.add(NextAction(tenant_id=tenant, engagement_id=engagement.id, title="現行申請書の記載項目一覧を作成",
                                  owner_name=requester_name, due_on=(received + timedelta(days=24)).date(),
                                  done_at=received + timedelta(days=22) if stage == "done" else None))
    for indicator, label, unit, before, after in spec.get("outcomes", []):
        db.session.add(Outcome(tenant_id=tenant, engagement_id=engagement.id, indicator=indicator, label=label,
                               unit=unit, baseline_value=Decimal(before), baseline_on=date(2026, 4, 1),
                               baseline_source="令和7年度 業務量調査",
                               after_value=None if after is None else Decimal(after),
                               after_on=None if after is None else date(2026, 11, 1),
                               after_source="" if after is None else "導入後3か月の実績（システム集計）"))
    if spec.get("survey"):
        csat, comment = spec["survey"]
        db.session.add(Survey(tenant_id=tenant, engagement_id=engagement.id, csat=csat, comment=comment,
                              answered_by=requester.id if requester else None))
    db.session.flush()
