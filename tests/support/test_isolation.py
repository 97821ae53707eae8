"""江東区 never sees 青梅市's request, workspace, files or survey — by page, file, export, API or search —
and TMG reaches it only as a supporter, only once released. Proven as the application role."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from kernel.extensions import db
from support.services import requests, workspace
from tests.conftest import login
from tests.factories.support import PDF, draft, released
from tests.factories.tenants import user

SECRET = "青梅市の内部メモ：学童クラブの待機児童データ"


def _ome_engagement_with_workspace():  # type: ignore[no-untyped-def]
    engagement = released("学童クラブ入会申請のBPR（分離テスト）")
    member = user("member")
    workspace.add_meeting(member, engagement, date(2026, 11, 1), "キックオフ", "青梅 花子", SECRET)
    row = workspace.add_file(member, engagement, "現状フロー.pdf", PDF, title="現状フロー")
    return engagement, row


def _commit() -> None:
    db.session.commit()
    db.session.remove()


def test_koto_sees_nothing_of_ome_by_page_file_api_or_export(app, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        engagement, row = _ome_engagement_with_workspace()
        eid, fid = engagement.id, row.id
        _commit()
    for who in ("other_member", "other_admin"):
        login(client, who)
        for path in (f"/support/{eid}", f"/support/{eid}/files/{fid}", f"/support/{eid}/handover",
                     f"/api/v1/support/engagements/{eid}"):
            response = client.get(path)
            assert response.status_code == 404, (who, path)
            assert SECRET not in response.get_data(as_text=True)
        listing = client.get("/support/").get_data(as_text=True)
        assert "分離テスト" not in listing
        api = client.get("/api/v1/support/engagements").get_json()
        assert all(e["municipality"] == "131083" for e in api["engagements"])
        assert client.get("/support/desk/management.xlsx").status_code == 403
        assert client.get("/support/desk").status_code == 403
        found = client.get("/casebook?q=学童クラブ").get_data(as_text=True)
        assert "分離テスト" not in found and SECRET not in found
        # Writing into it is refused the same way, and nothing is written.
        assert client.post(f"/support/{eid}/meetings", data={"held_on": "2026-11-02", "title": "侵入"}).status_code \
            == 404
        assert client.post(f"/support/{eid}/survey", data={"csat": "1"}).status_code == 404
    login(client, "member")
    page = client.get(f"/support/{eid}").get_data(as_text=True)
    assert SECRET in page and "侵入" not in page


def test_tmg_curator_and_operator_see_nothing(app, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        engagement, _row = _ome_engagement_with_workspace()
        eid = engagement.id
        _commit()
    for who in ("curator", "judge", "operator"):
        login(client, who)
        assert client.get(f"/support/{eid}").status_code == 404
        assert client.get(f"/api/v1/support/engagements/{eid}").status_code == 404
        assert client.get("/api/v1/support/engagements").get_json() == {"engagements": []}
    login(client, "supporter")
    page = client.get(f"/support/{eid}").get_data(as_text=True)
    assert SECRET in page  # the support desk works with it …
    login(client, "member")
    assert "都庁 伴走 支援" in client.get(f"/support/{eid}").get_data(as_text=True)  # … and 青梅市 sees who opened it


@pytest.fixture(scope="module")
def app_engine(cluster):  # type: ignore[no-untyped-def]
    urls = cluster.urls("unit")
    engine = create_engine(normalise_url(urls["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    yield engine
    engine.dispose()


def _count(conn, tenant: str, user_id: int | None, table: str, eid: int) -> int:  # type: ignore[no-untyped-def]
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true), set_config('app.user_id', :u, true)"),
                 {"t": tenant, "u": "" if user_id is None else str(user_id)})
    column = "id" if table == "support_engagements" else "engagement_id"
    return int(conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {column} = :e"), {"e": eid}))  # noqa: S608


@pytest.mark.no_rollback
def test_raw_sql_as_application_role(app, app_engine) -> None:  # type: ignore[no-untyped-def]
    """Row-level security itself, without the application: only 青梅市 and a TMG supporter see the rows."""
    with app.app_context():
        engagement, _row = _ome_engagement_with_workspace()
        hidden = draft(title="分離テストの下書き")
        ids = {who: user(who).id for who in ("supporter", "curator", "member", "other_member")}
        eid, hidden_id = engagement.id, hidden.id
        db.session.commit()
        db.session.remove()
    try:
        with app_engine.connect() as conn:
            for table in ("support_engagements", "support_meetings", "support_files", "support_stage_events"):
                with conn.begin():
                    assert _count(conn, "132055", ids["member"], table, eid) >= 1, table
                with conn.begin():
                    assert _count(conn, "131083", ids["other_member"], table, eid) == 0, table
                with conn.begin():
                    assert _count(conn, "130001", ids["curator"], table, eid) == 0, table
                with conn.begin():
                    assert _count(conn, "130001", None, table, eid) == 0, table
                with conn.begin():
                    # A supporter's id claimed under another tenant admits nothing either.
                    assert _count(conn, "131083", ids["supporter"], table, eid) == 0, table
                with conn.begin():
                    assert _count(conn, "130001", ids["supporter"], table, eid) >= 1, table
            with conn.begin():
                assert _count(conn, "130001", ids["supporter"], "support_engagements", hidden_id) == 0  # a draft
            with conn.begin() as trans:
                conn.execute(text("SELECT set_config('app.tenant_id', '131083', true)"))
                changed = conn.execute(text("UPDATE support_engagements SET title = 'x' WHERE id = :e"),
                                       {"e": eid}).rowcount
                assert changed == 0
                trans.rollback()
    finally:
        with app.app_context():
            from sqlalchemy import delete

            from kernel.db_admin import owner_session
            from support.models import Engagement
            from tenants.context import bind_tenant

            with owner_session():  # the application role may not delete engagements; the owner cleans up
                bind_tenant("132055")
                db.session.execute(delete(Engagement).where(Engagement.id.in_([eid, hidden_id])))
                db.session.commit()
                bind_tenant(None)
            db.session.remove()


def test_survey_is_never_shown_to_another_municipality(app, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        engagement = released("満足度の分離テスト")
        desk = user("supporter")
        for stage in ("prioritise", "qualify", "plan", "active", "done"):
            requests.move_stage(desk, engagement, stage, "", engagement.version)
        from support.services import closing

        closing.answer_survey(user("member"), engagement, 2, "担当者の説明が分かりにくかった")
        eid = engagement.id
        _commit()
    login(client, "other_admin")
    assert client.get(f"/support/{eid}").status_code == 404
    assert "分かりにくかった" not in client.get("/support/").get_data(as_text=True)
    login(client, "supporter")
    assert "分かりにくかった" in client.get(f"/support/{eid}").get_data(as_text=True)
