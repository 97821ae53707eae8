"""The forum's pages as each kind of reader sees them: closed items, materials, RSVP, the .ics file."""
from __future__ import annotations

from icalendar import Calendar


def test_non_member_sees_public_items_and_closed_titles_only(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("chiyoda_member")
    page = client.get(f"/community/meetings/{forum.past_id}").get_data(as_text=True)
    assert "生成AIの活用状況" in page and "各団体の状況共有" in page
    assert "共同調達の価格交渉" in page  # the closed item's title is public
    assert "非公開の交渉方針" not in page and "非公開資料" not in page
    assert "公開資料" in page
    assert client.get(f"/community/meetings/{forum.past_id}/materials/{forum.closed_material}").status_code == 404
    assert client.get(f"/community/meetings/{forum.past_id}/materials/{forum.public_material}").status_code == 200
    # Not a member: no actions of the body, no tracker.
    assert "RPA導入事例の共有" not in page
    assert client.get(f"/community/bodies/{forum.body_id}/actions").status_code == 403


def test_member_sees_closed_content_and_material(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("other_member")  # 江東区 is a member
    page = client.get(f"/community/meetings/{forum.past_id}").get_data(as_text=True)
    assert "非公開の交渉方針" in page and "非公開資料" in page and "RPA導入事例の共有" in page
    response = client.get(f"/community/meetings/{forum.past_id}/materials/{forum.closed_material}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_register_is_idempotent_and_changeable(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from community.models import Registration
    from kernel.extensions import db

    login_as("other_admin")
    for _ in range(2):
        response = client.post(f"/community/meetings/{forum.future_id}/register", data={"rsvp-attendance": "online"})
        assert response.status_code == 302
    client.post(f"/community/meetings/{forum.future_id}/register", data={"rsvp-attendance": "in_person"})
    with app.app_context():
        rows = db.session.execute(select(Registration.attendance, func.count()).where(
            Registration.meeting_id == forum.future_id).group_by(Registration.attendance)).all()
    assert rows == [("in_person", 1)]
    page = client.get(f"/community/meetings/{forum.future_id}").get_data(as_text=True)
    assert "対面" in page


def test_registration_for_a_past_meeting_is_refused(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    response = client.post(f"/community/meetings/{forum.past_id}/register", data={"rsvp-attendance": "online"},
                           follow_redirects=True)
    assert "登録は締め切られました" in response.get_data(as_text=True)


def test_ics_is_valid_rfc5545_and_hides_closed_content(client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("chiyoda_member")
    response = client.get(f"/community/meetings/{forum.future_id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"\r\n" in response.data  # RFC 5545 content lines end in CRLF
    cal = Calendar.from_ical(response.data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert str(event["uid"]).startswith(f"community-meeting-{forum.future_id}@")
    assert int(event["sequence"]) == 0
    assert "第2回" in str(event["summary"])
    assert "公開議題" in str(event["description"]) and "秘密の内容" not in str(event["description"])
    assert event.decoded("dtstart").utcoffset() is not None


def test_changing_the_time_raises_the_sequence(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("curator")
    response = client.post(f"/community/meetings/{forum.future_id}/edit", data={
        "title": "第2回", "starts_at": "2030-01-10T14:00", "ends_at": "2030-01-10T16:00",
        "location": "オンライン", "online_url": "https://meet.example.jp/x"})
    assert response.status_code == 302
    cal = Calendar.from_ical(client.get(f"/community/meetings/{forum.future_id}/calendar.ics").data)
    event = next(iter(cal.walk("VEVENT")))
    assert int(event["sequence"]) == 1
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert event.decoded("dtstart") == datetime(2030, 1, 10, 14, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_meeting_with_end_before_start_is_refused_and_nothing_written(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from community.models import Meeting
    from kernel.extensions import db

    login_as("curator")
    response = client.post(f"/community/bodies/{forum.body_id}/meetings/new", data={
        "title": "第3回", "starts_at": "2030-02-10T14:00", "ends_at": "2030-02-10T13:00"})
    assert response.status_code == 400
    assert "終了は開始より後" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.title == "第3回")) == 0


def test_material_type_is_checked_by_content(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    import io

    login_as("curator")
    response = client.post(f"/community/meetings/{forum.future_id}/materials", data={
        "material-title": "偽PDF", "material-agenda_item_id": "0",
        "material-file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "PDF、Office ファイルまたは画像を選んでください" in response.get_data(as_text=True)


def test_cancelling_marks_the_calendar_and_tells_the_registered(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from kernel.extensions import db
    from kernel.notifications import Notification
    from tenants.context import bind_tenant

    login_as("other_admin")
    client.post(f"/community/meetings/{forum.future_id}/register", data={"rsvp-attendance": "online"})
    login_as("curator")
    assert client.post(f"/community/meetings/{forum.future_id}/cancel", data={"confirm": "yes"}).status_code == 302
    assert client.post(f"/community/meetings/{forum.future_id}/cancel",
                       data={"confirm": "yes"}).status_code == 302  # again: no change
    event = next(iter(Calendar.from_ical(
        client.get(f"/community/meetings/{forum.future_id}/calendar.ics").data).walk("VEVENT")))
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    with app.app_context():
        bind_tenant("131083")
        kinds = list(db.session.scalars(select(Notification.kind).where(
            Notification.kind == "community.meeting_cancelled")))
        assert len(kinds) == 1
    login_as("other_admin")
    response = client.post(f"/community/meetings/{forum.future_id}/register", data={"rsvp-attendance": "online"},
                           follow_redirects=True)
    assert "この会議は中止になりました" in response.get_data(as_text=True)
