"""Demo data: the demo judges in the pool, one programme open for entries and one already published."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import Membership, User

OPEN_TITLE = "区市町村DXアワード（デモ）"
PUBLISHED_TITLE = "区市町村DXアワード（デモ・結果公表済み）"
RUBRIC = (("効果", 3, "効果なし\n小さい\n一定の効果\n大きい\n非常に大きい"), ("横展開のしやすさ", 2, ""),
          ("独自性", 1, ""))
ENTRIES = (  # tenant, member, admin, title, effects, scores of (TMG judge, 千代田 CIO)
    ("132055", "member@ome.example.jp", "admin@ome.example.jp", "電子申請で子育て手続をオンライン化",
     "申請処理時間を年間1,800時間削減", ((5, 4, 3), (4, 4, 4))),
    ("131083", "member@koto.example.jp", "admin@koto.example.jp", "AI-OCRで給付金の審査を迅速化",
     "審査日数を14日から5日に短縮", ((4, 5, 4), (3, 3, 3))),
    ("131016", "member@chiyoda.example.jp", "cio@chiyoda.example.jp", "窓口のキャッシュレス化",
     "窓口の待ち時間を平均12分短縮", ((3, 3, 5), None)),
)


def _user(tenant: str, email: str) -> User:
    bind_tenant(tenant)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    if user is None:
        raise RuntimeError(f"demo user {email} missing")
    bind_tenant(tenant, user.id)
    return user


def _pool_judges() -> int:
    from awards.models import JudgePoolMember
    from devtools.demo import CHIYODA
    from tenants.models import TMG_CODE

    pooled = 0
    for code in (TMG_CODE, CHIYODA):
        bind_tenant(code)
        judges = db.session.scalars(select(User).join(Membership, (Membership.tenant_id == User.tenant_id)
                                                      & (Membership.user_id == User.id))
                                    .where(User.tenant_id == code, Membership.role == "judge"))
        for user in judges:
            if db.session.get(JudgePoolMember, (code, user.id)) is None:
                db.session.add(JudgePoolMember(judge_tenant=code, judge_user_id=user.id,
                                               display_name=user.display_name))
                pooled += 1
    db.session.flush()
    return pooled


def _programme(title: str, start: datetime, blind: bool) -> Any:
    from awards import services
    from tenants.models import TMG_CODE

    curator = _user(TMG_CODE, "curator@metro.tokyo.example.jp")
    year = start.year if start.month >= 4 else start.year - 1
    programme = services.create_programme(curator, services.ProgrammeData(
        year, title, "都内区市町村のDX・BPRの取組を表彰します。", start, start + timedelta(days=60),
        start + timedelta(days=61), start + timedelta(days=90), blind, "optional", True))
    for name in ("行政サービス部門", "業務改革部門"):
        services.save_category(curator, programme, name, "", now=start)
    for name, weight, levels in RUBRIC:
        services.save_criterion(curator, programme, services.CriterionData(name, "", weight, 1, 5, levels), now=start)
    return curator, programme


def _published(now: datetime) -> None:
    """A programme of last year: three entries, two judges (千代田 CIO kept off 千代田区's), published."""
    from awards import judging, services
    from tenants.models import TMG_CODE

    start = now - timedelta(days=200)
    curator, programme = _programme(PUBLISHED_TITLE, start, blind=False)
    category = programme.categories[0]
    submissions = []
    for tenant, member_email, admin_email, title, effects, scores in ENTRIES:
        member = _user(tenant, member_email)
        entry = services.create_entry(member, programme, category.id, {
            "title": title, "summary": f"{title}の取組です。", "effects": effects,
            "background": "職員と住民の負担が大きかった。", "activities": "業務フローを見直し、システムを導入した。"},
            now=start + timedelta(days=1))
        services.request_approval(member, entry, programme, now=start + timedelta(days=2))
        submission = services.approve_entry(_user(tenant, admin_email), entry, programme, now=start + timedelta(days=3))
        submissions.append((submission, scores))
    judged_at = start + timedelta(days=62)
    for index, (tenant, email) in enumerate(((TMG_CODE, "judge@metro.tokyo.example.jp"),
                                             ("131016", "cio@chiyoda.example.jp"))):
        person = _user(tenant, email)
        judging.ensure_in_pool(person)
        bind_tenant(TMG_CODE, curator.id)
        judge = judging.add_judge(curator, programme, tenant, person.id)
        judging.assign(curator, programme, judge, category_id=category.id)
        for submission, scores in submissions:
            given = scores[index]
            if given is None or submission.entrant_code == tenant:
                continue
            raw = {str(c.id): str(v) for c, v in zip(programme.criteria, given, strict=True)}
            judging.save_sheet(person, judge, programme, submission, raw, "取組の効果が数値で示されている。",
                               final=True, now=judged_at)
    bind_tenant(TMG_CODE, curator.id)
    judging.publish(curator, programme, now=start + timedelta(days=91))


def load_demo() -> str:
    """Idempotent: the demo judges in the pool, an open programme and a published one."""
    from awards.models import Programme
    from awards.services import utcnow

    pooled = _pool_judges()
    now = utcnow().replace(microsecond=0)
    made = 0
    if db.session.scalar(select(Programme.id).where(Programme.title == PUBLISHED_TITLE)) is None:
        _published(now)
        made += 1
    if db.session.scalar(select(Programme.id).where(Programme.title == OPEN_TITLE)) is None:
        _programme(OPEN_TITLE, now - timedelta(days=1), blind=True)
        made += 1
    bind_tenant(None)
    db.session.flush()
    return f"awards: {pooled} judges pooled, {made} demo programmes created"
