"""`flask demo load` leaves a CIO forum with history (every test database is built with it)."""
from __future__ import annotations

from sqlalchemy import select

from kernel.extensions import db


def test_demo_forum_is_there_once_with_minutes_and_actions(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    from community.models import Action, Body, Meeting, Minutes
    from devtools.demo.community import FORUM, load_demo

    with app.app_context():
        assert load_demo() == "community: demo forum already present"  # a second run changes nothing
        forum = db.session.scalar(select(Body).where(Body.name == FORUM))
        meetings = list(db.session.scalars(select(Meeting).where(Meeting.body_id == forum.id)
                                           .order_by(Meeting.starts_at)))
        assert [m.title for m in meetings] == ["第1回 CIOフォーラム", "第2回 CIOフォーラム", "第3回 CIOフォーラム"]
        statuses = [getattr(db.session.get(Minutes, m.id), "status", None) for m in meetings]
        assert statuses == ["published", "review", None]
        actions = {a.title: a.status for a in db.session.scalars(select(Action).where(Action.body_id == forum.id))}
        assert actions["RPA導入手順書の横展開"] == "in_progress"
        assert actions["生成AI利用ガイドラインのひな形の共有"] == "done"
    login_as("tenant_admin")  # 青梅市's overdue action waits for its administrator
    assert 'data-testid="waiting-community.actions"' in client.get("/").get_data(as_text=True)
    login_as("chiyoda_member")  # not a member: the closed item's title, not its record
    page = client.get(f"/community/meetings/{meetings[0].id}/minutes").get_data(as_text=True)
    assert "共同調達（電子申請）の価格交渉方針" in page and "480万円" not in page
