"""Minutes (draft → review → amendments → published) and follow-up actions (owner, waiting, links)."""
from __future__ import annotations

from sqlalchemy import select

from kernel.extensions import db


def test_draft_is_secretariat_only_and_review_is_for_attendees(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    # In review: 江東区's admin attended, 江東区's member did not, 千代田区 is not a member.
    login_as("other_member")
    assert client.get(f"/community/meetings/{forum.past_id}/minutes").status_code == 404
    login_as("other_admin")
    page = client.get(f"/community/meetings/{forum.past_id}/minutes").get_data(as_text=True)
    assert "非公開の記録" in page and "公開の記録（修正）" in page  # member attendee: closed record and own proposal


def test_non_attendee_cannot_propose_and_nothing_is_written(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from community.models import Amendment

    login_as("member")  # 青梅市 is a member but nobody of it attended
    response = client.post(f"/community/meetings/{forum.past_id}/minutes/amendments", data={
        "amend-agenda_item_id": str(forum.public_item), "amend-proposed_text": "勝手な修正"}, follow_redirects=True)
    assert "修正を提案できるのは会議の出席者だけです" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Amendment).where(Amendment.proposed_text == "勝手な修正")) is None


def test_publish_needs_decisions_then_freezes_attendees(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from community.models import Minutes

    login_as("curator")
    response = client.post(f"/community/meetings/{forum.past_id}/minutes/publish",
                           data={"publish-close_review_early": "y"}, follow_redirects=True)
    assert "すべての修正案の採否を決めてください" in response.get_data(as_text=True)
    client.post(f"/community/meetings/{forum.past_id}/minutes/amendments/{forum.amendment_id}/accept",
                data={"decision-note": "反映しました"})
    response = client.post(f"/community/meetings/{forum.past_id}/minutes/publish", data={})
    assert response.status_code == 303  # the review period is still open and was not ended on purpose
    with app.app_context():
        assert db.session.get(Minutes, forum.past_id).status == "review"
    client.post(f"/community/meetings/{forum.past_id}/minutes/publish",
                data={"publish-close_review_early": "y", "confirm": "yes"})
    with app.app_context():
        minutes = db.session.get(Minutes, forum.past_id)
        assert minutes.status == "published"
        assert minutes.text_of(forum.public_item) == "公開の記録（修正）"
        assert [(a["tenant"], a["attendance"]) for a in minutes.attendees] == [("131083", "in_person")]
    # Anyone now reads it; a non-member sees the closed item's title but not its record.
    login_as("chiyoda_member")
    page = client.get(f"/community/meetings/{forum.past_id}/minutes").get_data(as_text=True)
    assert "公開の記録（修正）" in page and "共同調達の価格交渉" in page and "非公開の記録" not in page
    assert "江東 二郎" in page and "江東区" in page


def test_stale_minutes_draft_gets_409_and_keeps_the_text(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("curator")
    response = client.post(f"/community/meetings/{forum.past_id}/minutes/edit", data={
        "version": "1", "summary": "私の書きかけ", f"section-{forum.public_item}": "x"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "他の人が変更しました" in page and "私の書きかけ" in page


def test_action_waits_for_owner_admin_and_closes_with_a_case_link(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from casebook.models import Case
    from community.models import Action
    from tenants.context import bind_tenant

    login_as("tenant_admin")  # 青梅市's admin
    page = client.get("/community/").get_data(as_text=True)
    assert "あなたの対応待ち" in page and "RPA導入事例の共有" in page
    login_as("other_admin")  # 江東区's admin: not theirs
    assert "RPA導入事例の共有" not in client.get("/community/").get_data(as_text=True).split("今後の会議")[0]
    assert client.post(f"/community/actions/{forum.action_id}", data={
        "update-version": "1", "update-status": "done", "update-progress": "100"}).status_code == 403
    with app.app_context():
        bind_tenant("132055")
        own_case = db.session.scalar(select(Case.id).where(Case.tenant_id == "132055").limit(1))
        bind_tenant("131083")
        other_case = db.session.scalar(select(Case.id).where(Case.tenant_id == "131083").limit(1))
    assert own_case and other_case
    login_as("tenant_admin")
    response = client.post(f"/community/actions/{forum.action_id}/links",
                           data={"link-kind": "case", "link-target_id": str(other_case)}, follow_redirects=True)
    assert "関連付けられる対象が見つかりません" in response.get_data(as_text=True)
    client.post(f"/community/actions/{forum.action_id}/links", data={"link-kind": "case",
                                                                     "link-target_id": str(own_case)})
    response = client.post(f"/community/actions/{forum.action_id}", data={
        "update-version": "1", "update-status": "done", "update-progress": "40", "update-note": "事例を登録"})
    assert response.status_code == 302
    # The same form again is stale now: refused with 409, nothing changes twice.
    again = client.post(f"/community/actions/{forum.action_id}", data={
        "update-version": "1", "update-status": "in_progress", "update-progress": "50"})
    assert again.status_code == 409
    with app.app_context():
        action = db.session.get(Action, forum.action_id)
        assert (action.status, action.progress, action.version) == ("done", 100, 2)
        assert [(link.kind, link.target_id) for link in action.links] == [("case", own_case)]
        assert [u.status for u in action.updates] == ["open", "done"]
    assert "RPA導入事例の共有" not in client.get("/community/").get_data(as_text=True).split("今後の会議")[0]


def test_action_owner_admins_are_notified_and_it_waits_for_them(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from kernel.notifications import Notification, render_text
    from tenants.context import bind_tenant
    from tenants.models import User

    with app.app_context():
        bind_tenant("132055")
        rows = [r for r in db.session.scalars(select(Notification).where(
            Notification.kind == "community.action_assigned")) if r.params.get("action") == "RPA導入事例の共有"]
        admin = db.session.scalar(select(User.id).where(User.email == "admin@ome.example.jp"))
        member = db.session.scalar(select(User.id).where(User.email == "member@ome.example.jp"))
        assert [r.user_id for r in rows] == [admin]  # the municipality's admins, not every member
        assert member not in [r.user_id for r in rows]
        assert "RPA導入事例の共有" in render_text(rows[0].kind, rows[0].params, "ja")
    login_as("tenant_admin")
    home = client.get("/").get_data(as_text=True)
    assert "CIOフォーラムのフォローアップ事項" in home


def test_tracker_counts_across_the_series(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("other_member")
    page = client.get(f"/community/bodies/{forum.body_id}/actions").get_data(as_text=True)
    assert "RPA導入事例の共有" in page
    row = page.split('data-testid="tracker"')[1].split("第1回")[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[1:]] == ["1", "0", "1", "0"]


def test_meeting_reminders_are_sent_once(app, forum) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from community.models import Meeting, Registration
    from community.services.meetings import send_meeting_reminders
    from tenants.context import bind_tenant

    with app.app_context():
        meeting = db.session.get(Meeting, forum.future_id)
        bind_tenant("131083")
        from tenants.models import User

        koto = db.session.scalar(select(User).where(User.email == "admin@koto.example.jp"))
        db.session.add(Registration(meeting_id=meeting.id, attendee_tenant="131083", attendee_user_id=koto.id,
                                    display_name=koto.display_name, attendance="online"))
        bind_tenant(None)
        assert send_meeting_reminders(now=meeting.starts_at - timedelta(hours=20)) == 1
        assert send_meeting_reminders(now=meeting.starts_at - timedelta(hours=19)) == 0
        from kernel.notifications import Notification

        bind_tenant("131083")
        assert db.session.scalar(select(Notification.id).where(
            Notification.user_id == koto.id, Notification.kind == "community.meeting_reminder")) is not None
        db.session.rollback()
