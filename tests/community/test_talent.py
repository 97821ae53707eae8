"""The talent network: roster and April hand-over, vacancies, skills and the opt-in directory, training."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from kernel.extensions import db
from tests.factories.community import KOTO, OME, user


def _roster(in_app):  # type: ignore[no-untyped-def]
    """青梅市: 情報政策課 with 青梅 花子 (member) as promoter holding one contact and one open forum action."""
    def build():  # type: ignore[no-untyped-def]
        from community.services import talent
        from tests.factories.community import build as build_forum

        forum = build_forum()
        admin = user(OME, "admin@ome.example.jp")
        member = user(OME, "member@ome.example.jp")
        department = talent.add_department(admin, "情報政策課")
        talent.add_department(admin, "子育て支援課")  # left without a promoter
        promoter = talent.appoint(admin, department, member.id, "", "", date(2025, 4, 1), date(2026, 3, 31))
        talent.add_contact(admin, promoter, "都 デジタル担当", "東京都デジタルサービス局", "")
        from community.models import Action

        action = db.session.get(Action, forum.action_id)
        action.owner_user_id, action.owner_name = member.id, member.display_name
        db.session.flush()
        return {"promoter": promoter.id, "department": department.id, "action": forum.action_id,
                "member": member.id, "admin": admin.id}
    return in_app(build)


def test_hand_over_moves_contacts_and_open_actions(app, client, login_as, in_app) -> None:  # type: ignore[no-untyped-def]
    ids = _roster(in_app)
    login_as("tenant_admin")
    response = client.post(f"/community/roster/promoters/{ids['promoter']}/handover", data={
        "handover-user_id": str(ids["admin"]), "handover-effective_on": "2026-04-01",
        "handover-term_ends_on": "2027-03-31"})
    assert response.status_code == 303
    from community.models import Action, Promoter, PromoterContact
    from tenants.context import bind_tenant

    with app.app_context():
        bind_tenant(OME)
        old = db.session.get(Promoter, (OME, ids["promoter"]))
        new = db.session.get(Promoter, (OME, old.successor_id))
        assert old.ended_on == date(2026, 4, 1) and new.user_id == ids["admin"]
        assert new.term_starts_on == date(2026, 4, 1)
        moved = [c.name for c in db.session.scalars(
            select(PromoterContact).where(PromoterContact.promoter_id == new.id))]
        assert moved == ["都 デジタル担当"]
        assert db.session.scalar(select(func.count()).select_from(PromoterContact).where(
            PromoterContact.promoter_id == old.id)) == 0
        action = db.session.get(Action, ids["action"])
        assert action.owner_user_id == ids["admin"] and "引き継ぎ" in action.updates[-1].note
    # Handing over the same (ended) term again is refused: nothing doubles.
    again = client.post(f"/community/roster/promoters/{ids['promoter']}/handover", data={
        "handover-user_id": str(ids["admin"]), "handover-effective_on": "2026-04-01"}, follow_redirects=True)
    assert "すでに引き継がれたか終了しています" in again.get_data(as_text=True)


def test_vacancies_are_listed_and_reminded(app, client, login_as, in_app) -> None:  # type: ignore[no-untyped-def]
    _roster(in_app)
    login_as("tenant_admin")
    page = client.get("/community/roster").get_data(as_text=True)
    assert "子育て支援課 にはDX推進員がいません" in page
    from community.services.talent import send_vacancy_reminders
    from kernel.notifications import Notification
    from tenants.context import bind_tenant

    with app.app_context():
        today = date.today()
        assert send_vacancy_reminders(today) >= 1
        assert send_vacancy_reminders(today) == 0  # once a day
        bind_tenant(OME)
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "community.vacancies")) == 1  # 青梅市 has one administrator
        db.session.rollback()


def test_the_vacancy_count_is_what_vacancies_lists(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """The dashboard's count of posts to fill (one statement of plain rows) against ``vacancies`` (the roster
    page's and the reminders' lists), over terms ended, to come, ending inside and just outside the warning
    days, with and without a successor or an end."""
    from community.models import Promoter
    from community.services import talent

    admin = user(OME, "admin@ome.example.jp")
    member = user(OME, "member@ome.example.jp")
    today = date(2026, 3, 1)
    warning = today + timedelta(days=talent.TERM_WARNING_DAYS)

    def department(name, *terms):  # type: ignore[no-untyped-def]
        found = talent.add_department(admin, "数える" + name)  # (names the demo roster does not use)
        for starts, ends, ended, successor in terms:
            promoter = talent.appoint(admin, found, member.id, "", "", starts, ends)
            promoter.ended_on = ended
            promoter.successor_id = promoter.id if successor else None  # (any id: someone was named)
        db.session.flush()
        db.session.expire(found, ["promoters"])

    before = [len(found) for found in talent.vacancies(OME, today)]  # the demo roster's
    last_year = date(2025, 4, 1)
    department("政策課", (last_year, date(2026, 3, 31), None, False))  # ending, nobody to follow
    department("子育て支援課")  # nobody
    department("税務課", (last_year, date(2027, 3, 31), date(2026, 2, 1), False))  # ended
    department("福祉課", (date(2026, 4, 1), date(2027, 3, 31), None, False))  # not yet
    department("企画課", (last_year, warning, None, False),  # ending on the last warning day
               (last_year, warning + timedelta(days=1), None, False))  # one day later: not yet warned
    department("総務課", (last_year, date(2026, 3, 20), None, True))  # ending, successor named
    department("防災課", (last_year, None, None, False))  # no end
    empty, ending = talent.vacancies(OME, today)
    assert (len(empty), len(ending)) == (before[0] + 3, before[1] + 2)
    assert talent.vacancy_count(OME, today) == sum(before) + 5
    for day in (date(2025, 3, 1), date(2025, 12, 31), date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 1),
                date(2027, 4, 1)):
        empty, ending = talent.vacancies(OME, day)
        assert talent.vacancy_count(OME, day) == len(empty) + len(ending), day
    assert db.session.scalar(select(func.count()).select_from(Promoter)) >= 8
    assert talent.vacancy_count(KOTO, today) == 0  # another municipality's roster is not counted (RLS, bound to 青梅市)


def test_roster_is_the_municipalitys_own(client, login_as, in_app) -> None:  # type: ignore[no-untyped-def]
    ids = _roster(in_app)
    login_as("member")
    assert client.get("/community/roster").status_code == 403
    login_as("other_admin")  # 江東区's admin cannot open 青梅市's promoter, even by id
    assert client.get(f"/community/roster/promoters/{ids['promoter']}").status_code == 404
    assert "情報政策課" not in client.get("/community/roster").get_data(as_text=True)


def test_skills_are_private_and_the_directory_is_opt_in(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    login_as("tenant_admin")
    client.post("/community/skills", data={"skill-data_use": "3", "skill-ai_use": "2", "dir-department": "企画課"})
    login_as("other_member")
    assert "青梅 太郎" not in client.get("/community/directory").get_data(as_text=True)  # not opted in
    login_as("tenant_admin")
    client.post("/community/skills", data={"skill-data_use": "4", "skill-ai_use": "2", "dir-opt_in": "y",
                                           "dir-department": "企画課", "dir-note": "データ分析の相談に乗れます"})
    login_as("other_member")
    page = client.get("/community/directory?skill=data_use").get_data(as_text=True)
    row = page.split('data-testid="directory"')[1]
    assert "青梅 太郎" in row and "データ活用・EBPM" in row and "生成AI" not in row
    assert "4" not in row.split("青梅 太郎")[1].split("</tr>")[0]  # no level is ever shown
    assert "青梅 太郎" not in client.get("/community/directory?skill=ai_use").get_data(as_text=True)
    login_as("tenant_admin")
    counts = client.get("/community/training").get_data(as_text=True).split('data-testid="skill-counts"')[1]
    assert "青梅 太郎" not in counts
    login_as("tenant_admin")
    client.post("/community/skills", data={"skill-data_use": "4"})  # opt out (box unticked)
    login_as("other_member")
    assert "青梅 太郎" not in client.get("/community/directory").get_data(as_text=True)


def test_training_plan_courses_and_completion(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from community.models import TrainingPlan
    from tenants.context import bind_tenant
    from tenants.models import User

    login_as("tenant_admin")
    response = client.post("/community/training/plans", data={"plan-fiscal_year": "2026",
                                                              "plan-title": "令和8年度DX人材育成計画"})
    assert response.status_code == 303
    plan_path = response.headers["Location"]
    plan_id = int(plan_path.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/community/training/plans/{plan_id}/courses", data={
        "course-title": "データ活用研修", "course-target_roles": ["promoter", "manager"], "course-hours": "6",
        "course-planned": "30"})
    with app.app_context():
        bind_tenant(OME)
        course = db.session.get(TrainingPlan, (OME, plan_id)).courses[0]
        member_id = db.session.scalar(select(User.id).where(User.email == "member@ome.example.jp"))
        bind_tenant(KOTO)
        koto_id = db.session.scalar(select(User.id).where(User.email == "member@koto.example.jp"))
        course_id = course.id
    refused = client.post(f"/community/training/plans/{plan_id}/completions", data={
        "done-course_id": str(course_id), "done-user_id": str(koto_id), "done-completed_on": "2026-06-01"},
        follow_redirects=True)
    assert refused.status_code == 200  # 江東区's user is not a choice: the form refuses it
    for _ in range(2):
        client.post(f"/community/training/plans/{plan_id}/completions", data={
            "done-course_id": str(course_id), "done-user_id": str(member_id), "done-completed_on": "2026-06-01"})
    page = client.get(f"/community/training/plans/{plan_id}").get_data(as_text=True)
    assert f'data-testid="completion-{course_id}">1 / 30' in page
    assert "DX推進員" in page and "管理職" in page


def test_future_completion_is_refused(app, client, login_as, forum) -> None:  # type: ignore[no-untyped-def]
    from community.services import talent

    def run():  # type: ignore[no-untyped-def]
        admin = user(OME, "admin@ome.example.jp")
        plan = talent.create_plan(admin, 2026, "計画")
        course = talent.add_course(admin, plan, "研修", ["all_staff"], 2, 10)
        try:
            talent.record_completion(admin, course, admin.id, date.today() + timedelta(days=30))
        except Exception as error:  # noqa: BLE001
            return str(error)
        return ""
    with app.app_context():
        assert "未来の日付は不可" in run()
        db.session.rollback()
