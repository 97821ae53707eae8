"""Demo data: the judges of the demo accounts in the pool and one open programme with a rubric."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from tenants.context import bind_tenant
from tenants.models import Membership, User

DEMO_TITLE = "区市町村DXアワード（デモ）"


def load_demo() -> str:
    """Idempotent: the demo judges in the pool and one programme open for entries."""
    from awards.models import JudgePoolMember, Programme
    from awards.services import utcnow
    from portal.demo import CHIYODA
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
    bind_tenant(None)
    if db.session.scalar(select(Programme.id).where(Programme.title == DEMO_TITLE)) is None:
        from awards.models import Category, Criterion

        now = utcnow().replace(microsecond=0)
        programme = Programme(fiscal_year=now.year if now.month >= 4 else now.year - 1, title=DEMO_TITLE,
                              description="区市町村のDXの取組を表彰します。", entry_opens_at=now - timedelta(days=1),
                              entry_closes_at=now + timedelta(days=60), judging_opens_at=now + timedelta(days=61),
                              judging_closes_at=now + timedelta(days=90), blind=True, comment_mode="optional",
                              has_final=True)
        programme.categories = [Category(name="行政サービス部門", position=0),
                                Category(name="業務改革部門", position=1)]
        programme.criteria = [
            Criterion(name="効果", weight=3, scale_min=1, scale_max=5, position=0,
                      levels="効果なし\n小さい\n一定の効果\n大きい\n非常に大きい"),
            Criterion(name="横展開のしやすさ", weight=2, scale_min=1, scale_max=5, position=1),
            Criterion(name="独自性", weight=1, scale_min=1, scale_max=5, position=2),
        ]
        db.session.add(programme)
    db.session.flush()
    return f"awards: {pooled} judges pooled, demo programme ready"
