"""Entries (approval, deadline, withdrawal, attachments, print sheet) and the rubric's edit window."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from awards import services
from awards.models import Criterion, Entry, Programme, Submission
from kernel.extensions import db
from tests.conftest import login
from tests.factories.awards import jp


def _close_entries(scenario):  # type: ignore[no-untyped-def]
    programme = db.session.get(Programme, scenario.programme_id)
    programme.entry_closes_at = services.utcnow() - timedelta(minutes=1)
    db.session.flush()


def test_member_drafts_asks_approval_and_admin_submits(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "member")
    response = client.post(f"/awards/programmes/{scenario.programme_id}/entries/new", data={
        "category_id": scenario.category_id, "title": "電子申請の拡大", "summary": "概要",
        "effects": "年間1,200時間削減"})
    assert response.status_code == 302
    entry_path = response.headers["Location"]
    assert client.post(f"{entry_path}/request").status_code == 302
    assert client.post(f"{entry_path}/approve").status_code == 403  # a member cannot approve
    login(client, "tenant_admin")
    assert client.post(f"{entry_path}/approve").status_code == 302
    page = client.get(entry_path).get_data(as_text=True)
    assert "提出済み" in page
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission).where(
            Submission.title == "電子申請の拡大")) == 1
        db.session.remove()


def test_bad_entry_input_gives_a_japanese_message_and_writes_nothing(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "member")
    path = f"/awards/programmes/{scenario.programme_id}/entries/new"
    for data in ({"category_id": scenario.category_id, "title": ""},
                 {"category_id": "999999", "title": "x"},
                 {"category_id": "abc", "title": "x"},
                 {"category_id": scenario.category_id, "title": "x" * 201}):
        response = client.post(path, data=data)
        assert response.status_code == 400, data
        assert 'role="alert"' in response.get_data(as_text=True)
    with client.application.app_context():
        from tenants.context import bind_tenant

        bind_tenant("132055")
        assert db.session.scalar(select(func.count()).select_from(Entry).where(
            Entry.programme_id == scenario.programme_id)) == 2  # the scenario's two
        db.session.remove()


def test_late_submission_and_late_withdrawal_are_refused(client, in_app, scenario):  # type: ignore[no-untyped-def]
    login(client, "member")
    entry_path = f"/awards/entries/{scenario.entry_own}"
    assert client.post(f"{entry_path}/request").status_code == 302
    in_app(lambda: _close_entries(scenario))
    login(client, "tenant_admin")
    response = client.post(f"{entry_path}/approve", follow_redirects=True)
    assert "応募の締切を過ぎています" in response.get_data(as_text=True)
    response = client.post(f"{entry_path}/withdraw", follow_redirects=True)
    assert "締切後は取り下げできません" in response.get_data(as_text=True)
    with client.application.app_context():
        from tenants.context import bind_tenant

        bind_tenant("132055")
        assert db.session.get(Entry, ("132055", scenario.entry_own)).status == "pending"
        db.session.remove()


def test_withdrawal_before_the_deadline_removes_the_entry_from_judging(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "tenant_admin")
    with client.application.app_context():
        from tenants.context import bind_tenant

        bind_tenant("132055")
        submitted = db.session.scalar(select(Entry.id).where(Entry.submission_id == scenario.submission_own))
        db.session.remove()
    assert client.post(f"/awards/entries/{submitted}/withdraw", data={"confirm": "yes"}).status_code == 302
    login(client, "judge")
    assert client.get(jp(client, scenario, scenario.submission_own)).status_code == 404
    assert "1件中1件提出済み" in client.get(f"/awards/judging/{scenario.programme_id}").get_data(as_text=True)


def test_only_pdf_attachments(client, scenario):  # type: ignore[no-untyped-def]
    import io

    login(client, "member")
    path = f"/awards/entries/{scenario.entry_own}/files"
    response = client.post(path, data={"file": (io.BytesIO(b"MZ not a pdf"), "x.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "添付できるのはPDFファイルだけです" in response.get_data(as_text=True)
    response = client.post(path, data={}, follow_redirects=True)
    assert "ファイルを選んでください" in response.get_data(as_text=True)


def test_print_sheet_names_the_municipality_and_dates(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "member")
    page = client.get(f"/awards/entries/{scenario.entry_own}/print").get_data(as_text=True)
    assert "アワード応募シート" in page and "青梅市" in page and "取組概要" in page and "令和" in page


def test_rubric_is_editable_until_judging_starts(app, client, in_app, scenario):  # type: ignore[no-untyped-def]
    def fresh() -> int:
        from tests.factories.awards import user

        now = services.utcnow()
        curator = user("130001", "curator@metro.tokyo.example.jp")
        programme = services.create_programme(curator, services.ProgrammeData(
            2026, "編集テスト", "", now - timedelta(days=1), now + timedelta(days=5), now + timedelta(days=6),
            now + timedelta(days=9), False, "optional", True))
        services.save_criterion(curator, programme, services.CriterionData("効果", "", 2, 1, 5, "低\n高"))
        services.save_category(curator, programme, "部門A", "")
        return programme.id
    pid = in_app(fresh)
    login(client, "curator")
    with app.app_context():
        programme = db.session.get(Programme, pid)
        crit_id, cat_id = programme.criteria[0].id, programme.categories[0].id
        db.session.remove()
    response = client.post(f"/awards/programmes/{pid}/criteria/{crit_id}", data={
        f"criterion-{crit_id}-name": "効果（定量）", f"criterion-{crit_id}-weight": "3",
        f"criterion-{crit_id}-scale_min": "1", f"criterion-{crit_id}-scale_max": "4",
        f"criterion-{crit_id}-levels": "a\nb\nc\nd"})
    assert response.status_code == 302
    assert client.post(f"/awards/programmes/{pid}/categories/{cat_id}",
                       data={f"category-{cat_id}-name": "部門B"}).status_code == 302
    with app.app_context():
        criterion = db.session.get(Criterion, crit_id)
        assert (criterion.name, criterion.weight, criterion.scale_max) == ("効果（定量）", 3, 4)
        db.session.remove()
    assert client.post(f"/awards/programmes/{pid}/start-judging").status_code == 302
    refused = client.post(f"/awards/programmes/{pid}/criteria/{crit_id}/delete")
    assert refused.status_code == 400 and "審査が始まったため" in refused.get_data(as_text=True)
    assert client.post(f"/awards/programmes/{pid}/categories/{cat_id}",
                       data={f"category-{cat_id}-name": "部門C"}).status_code == 400
    bad = client.post(f"/awards/programmes/{pid}/criteria", data={"new-criterion-name": "x",
                                                                  "new-criterion-weight": "1.5"})
    assert bad.status_code == 400


def test_programme_form_rejects_inverted_windows(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "curator")
    response = client.post("/awards/programmes/new", data={
        "fiscal_year": "2026", "title": "逆転", "entry_opens_at": "2026-12-10T09:00",
        "entry_closes_at": "2026-12-01T09:00", "judging_opens_at": "2026-12-11T09:00",
        "judging_closes_at": "2026-12-20T09:00", "comment_mode": "optional"})
    assert response.status_code == 400
    assert "応募の締切は受付開始より後にしてください。" in response.get_data(as_text=True)


def test_settings_can_still_be_saved_after_judging_started_but_not_blind_mode(client, scenario):  # type: ignore[no-untyped-def]
    login(client, "curator")
    path = f"/awards/programmes/{scenario.programme_id}/edit"
    assert client.post(f"/awards/programmes/{scenario.programme_id}/start-judging").status_code == 302
    page = client.get(path).get_data(as_text=True)
    import re

    fields = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
              for name in ("fiscal_year", "entry_opens_at", "entry_closes_at", "judging_opens_at", "judging_closes_at")}
    data = {**fields, "title": "テスト表彰（改称）", "comment_mode": "optional", "has_final": "y"}
    assert client.post(path, data=data).status_code == 302  # times re-submitted to the minute: unchanged
    refused = client.post(path, data={**data, "blind": "y"})
    assert refused.status_code == 400 and "審査開始後は匿名審査" in refused.get_data(as_text=True)
    with client.application.app_context():
        programme = db.session.get(Programme, scenario.programme_id)
        assert programme.title == "テスト表彰（改称）" and programme.blind is False
        db.session.remove()
