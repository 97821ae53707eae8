"""Demo data of the community domain (`flask demo load`): a CIO forum with its history, and a talent network.

東京都・区市町村CIOフォーラム: TMG chairs, six municipalities sit in it (千代田区 does not, so its demo
account shows what a non-member sees). Two past meetings with public and closed items and published
or in-review minutes, one meeting ahead, follow-up actions in every state (青梅市's one overdue, so
it waits for its administrator). 青梅市 keeps a DX推進員 roster with one vacancy, a training plan and
two colleagues in the "who knows what" directory. Idempotent: a second run finds the forum and stops.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from community.models import Body, Registration
from community.services import actions, bodies, meetings, minutes, talent
from kernel.extensions import db
from kernel.i18n import TOKYO, today_tokyo
from tenants.context import as_tenant
from tenants.models import TMG_CODE, User

FORUM = "東京都・区市町村CIOフォーラム"
OME, KOTO, CHIYODA = "132055", "131083", "131016"
MEMBERS = ((TMG_CODE, "chair", "東京都CIO（デジタルサービス局長）"), (KOTO, "member", "江東区CIO"),
           (OME, "member", "青梅市CIO"), ("132012", "member", "八王子市CIO"), ("131121", "member", "世田谷区CIO"),
           ("131032", "member", "港区CIO"), ("132063", "observer", "府中市デジタル戦略担当"))


def _user(tenant: str, email: str) -> Any:
    with as_tenant(tenant):
        found = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
    assert found is not None, email
    return found


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TOKYO)


def _attend(meeting: Any, people: list[tuple[Any, str]]) -> None:
    # Past meetings: the registrations as they were (the service refuses to register for a past meeting).
    for person, attendance in people:
        db.session.add(Registration(meeting_id=meeting.id, attendee_tenant=person.tenant_id,
                                    attendee_user_id=person.id, display_name=person.display_name,
                                    attendance=attendance))
    db.session.flush()


def _forum(today: date) -> int:
    curator = _user(TMG_CODE, "curator@metro.tokyo.example.jp")
    koto, ome = _user(KOTO, "admin@koto.example.jp"), _user(OME, "admin@ome.example.jp")
    with as_tenant(TMG_CODE, curator.id):
        forum = bodies.create_body(curator, FORUM, "forum",
                                   "都のCIOと区市町村のCIOが、DXの課題と成果を率直に話し合う場。")
        for code, role, person in MEMBERS:
            bodies.set_member(curator, forum, code, role, person)
        roundtable = bodies.create_body(curator, "生成AI活用座談会", "roundtable",
                                        "生成AIの業務利用を進める団体の実務者の座談会。")
        for code, role, person in ((TMG_CODE, "secretariat", "デジタルサービス局"), (KOTO, "member", "江東区DX推進課"),
                                   ("131121", "member", "世田谷区DX推進担当")):
            bodies.set_member(curator, roundtable, code, role, person)

        first_day = today - timedelta(days=84)
        first = meetings.create_meeting(curator, forum, meetings.MeetingData(
            "第1回 CIOフォーラム", _at(first_day, 14), _at(first_day, 16), "都庁第一本庁舎 42階 特別会議室", ""))
        ai = meetings.add_item(curator, first, "生成AIの庁内利用の状況", "各団体の利用状況と課題を共有する。", "public")
        price = meetings.add_item(curator, first, "共同調達（電子申請）の価格交渉方針",
                                  "事業者との交渉上限額と進め方を協議する。", "closed")
    _attend(first, [(koto, "in_person"), (ome, "online")])
    with as_tenant(TMG_CODE, curator.id):
        minutes.save_draft(curator, first, "都と6団体のCIOが出席し、生成AIと共同調達について意見交換した。", {
            ai.id: "江東区から全庁での生成AI利用（約2,000人）の報告があった。"
                   "青梅市からは議事録作成での試行の報告があった。",
            price.id: "交渉上限額を1団体あたり年額480万円とすることで合意した。",
        }, None)
        minutes.open_review(curator, first, 7)
        minutes.publish(curator, first, close_review_early=True)
        guideline = actions.create_action(curator, first, actions.ActionData(
            "生成AI利用ガイドラインのひな形の共有", "江東区のガイドラインを各団体が使えるひな形にする。", KOTO, None,
            first_day + timedelta(days=30), ai.id))
        rpa = actions.create_action(curator, first, actions.ActionData(
            "RPA導入手順書の横展開", "青梅市のRPA導入手順書を事例集に登録する。", OME, None,
            today - timedelta(days=10), None))
    with as_tenant(KOTO, koto.id):
        actions.update_action(koto, guideline, "done", 100, "ひな形を事例集に掲載した。", guideline.version)
    with as_tenant(OME, ome.id):
        actions.update_action(ome, rpa, "in_progress", 40, "手順書の匿名化を進めている。", rpa.version)

    second_day = today - timedelta(days=21)
    with as_tenant(TMG_CODE, curator.id):
        second = meetings.create_meeting(curator, forum, meetings.MeetingData(
            "第2回 CIOフォーラム", _at(second_day, 15), _at(second_day, 17), "オンライン", "https://meet.example.jp/cio-2"))
        staff = meetings.add_item(curator, second, "DX人材の確保と育成",
                                  "DX推進員の配置と研修の状況を共有する。", "public")
        meetings.add_item(curator, second, "人事交流の調整", "団体間の人事交流の候補を協議する。", "closed")
    _attend(second, [(koto, "online"), (ome, "online")])
    with as_tenant(TMG_CODE, curator.id):
        minutes.save_draft(curator, second, "DX人材の確保と育成について意見交換した。", {
            staff.id: "各団体のDX推進員の配置状況を共有した。",
        }, None)
        minutes.open_review(curator, second, 14)
    with as_tenant(KOTO, koto.id):
        minutes.propose_amendment(koto, second, staff,
                                  "各団体のDX推進員の配置状況（江東区は全42課に配置済み）を共有した。", "配置数を追記")
    with as_tenant(TMG_CODE, curator.id):
        actions.create_action(curator, second, actions.ActionData(
            "DX推進員の研修カリキュラム案の作成", "都の研修と団体の研修を組み合わせた案を作る。", "132012", None,
            today + timedelta(days=45), staff.id))
        third_day = today + timedelta(days=21)
        third = meetings.create_meeting(curator, forum, meetings.MeetingData(
            "第3回 CIOフォーラム", _at(third_day, 14), _at(third_day, 16), "都庁第一本庁舎 42階 特別会議室",
            "https://meet.example.jp/cio-3"))
        meetings.add_item(curator, third, "共同調達の成果報告", "電子申請の共同調達の結果を報告する。", "public")
        meetings.add_item(curator, third, "次年度予算要求の調整", "各団体の予算要求の方針を協議する。", "closed")
    return forum.id


def _talent(today: date) -> None:
    admin, member = _user(OME, "admin@ome.example.jp"), _user(OME, "member@ome.example.jp")
    fiscal = today.year if today.month >= 4 else today.year - 1
    with as_tenant(OME, admin.id):
        policy = talent.add_department(admin, "企画政策課")
        citizen = talent.add_department(admin, "市民課")
        talent.add_department(admin, "子育て支援課")  # no promoter yet: the roster asks to fill it
        promoter = talent.appoint(admin, citizen, member.id, "", "", date(fiscal, 4, 1), date(fiscal + 1, 3, 31))
        talent.add_contact(admin, promoter, "都 デジタルサービス局 区市町村DX支援担当", "東京都", "伴走支援の窓口")
        talent.appoint(admin, policy, None, "青梅 次郎", "jiro@ome.example.jp", date(fiscal - 1, 4, 1),
                       date(fiscal + 1, 3, 31))
        plan = talent.create_plan(admin, fiscal, "DX人材育成計画")
        data = talent.add_course(admin, plan, "データ活用基礎研修", ["promoter", "all_staff"], 6, 40)
        talent.add_course(admin, plan, "管理職のためのDXマネジメント", ["manager"], 3, 25)
        talent.record_completion(admin, data, member.id, today - timedelta(days=30))
    with as_tenant(OME, member.id):
        talent.save_assessment(member, {"data_use": 3, "low_code": 4, "ai_use": 2})
        talent.set_directory(member, True, "市民課", "RPAで窓口業務を自動化した経験があります。")
    koto = _user(KOTO, "member@koto.example.jp")
    with as_tenant(KOTO, koto.id):
        talent.save_assessment(koto, {"ai_use": 4, "service_design": 3})
        talent.set_directory(koto, True, "DX推進課", "生成AIの全庁導入を担当しました。")


def load_demo() -> str:
    """Create the forum and the talent network once; a second run changes nothing."""
    if db.session.scalar(select(Body.id).where(Body.name == FORUM)) is not None:
        return "community: demo forum already present"
    today = today_tokyo()
    _forum(today)
    _talent(today)
    db.session.flush()
    return "community: CIO forum with 3 meetings, minutes and actions; 青梅市's promoters, training plan, directory"
