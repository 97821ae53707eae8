"""Excel in and out, the benchmark page, the way from a gap to help, TMG's shared view, reminders."""
from __future__ import annotations

import html
import io
import re
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select, text

from kernel.extensions import db
from tenants.context import as_tenant
from tests.conftest import OWN_TENANT
from tests.factories.workload import admin_of, make_round, task_id
from workload import services
from workload.models import Entry

FY = 2033
CITIES = ["132012", "132021", "132039", "132047", "132063"]  # 八王子, 立川, 武蔵野, 三鷹, 府中


def _own_round(app, fy: int = FY):  # type: ignore[no-untyped-def]
    with app.app_context():
        round_ = make_round(OWN_TENANT, fy, {"市民課": {"MAD01": (3000, 1000), "MAD04": (500, 100)},
                                            "課税課": {"ZEI04": (800, 20000)}})
        ids = round_.id, [d.id for d in round_.departments]
        db.session.commit()
    return ids


def _peers(app, count: int, fy: int = FY) -> None:
    with app.app_context():
        for number, code in enumerate(CITIES[:count]):
            make_round(code, fy, {"市民課": {"MAD01": (1000 + 100 * number, 1000)}}, close=True, share_benchmark=True)
        db.session.commit()


def test_excel_template_round_trip_report_and_formula_escape(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    round_id, (citizens, _tax) = _own_round(app)
    login_as("tenant_admin")
    client.post("/workload/tasks", data={"group_code": "madoguchi", "name": "=HYPERLINK(\"http://x\")",
                                         "task_class": "non_core"})
    login_as("member")
    base = f"/workload/rounds/{round_id}/departments/{citizens}"
    template = client.get(base + "/template.xlsx")
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.data))
    sheet = book["業務量"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    with app.app_context():
        mad01 = f"S{task_id('MAD01')}"
    assert rows[mad01][4].value == 3000 and rows[mad01][6].value == 1000
    own = next(row for key, row in rows.items() if str(key).startswith("T"))
    assert own[2].value == "=HYPERLINK(\"http://x\")" and own[2].data_type == "s" and own[2].quotePrefix
    # a bad file: every problem reported by row, column and value, nothing saved
    own[4].value, own[6].value = "abc", 5
    rows[mad01][4].value, rows[mad01][5].value, rows[mad01][7].value = 10, "week", 150
    buffer = io.BytesIO()
    book.save(buffer)
    bad = client.post(base + "/upload", data={"file": (io.BytesIO(buffer.getvalue()), "h.xlsx")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "何も保存されていません" in page and "abc" in page and "week" in page and "150" in page
    with app.app_context(), as_tenant(OWN_TENANT):
        assert db.session.scalar(select(Entry.hours_per_year).where(
            Entry.department_id == citizens, Entry.standard_task_id == int(mad01[1:]))) == Decimal(3000)
    own[4].value, rows[mad01][5].value, rows[mad01][7].value = 12, "月間", 40
    buffer = io.BytesIO()
    book.save(buffer)
    good = client.post(base + "/upload", data={"file": (io.BytesIO(buffer.getvalue()), "h.xlsx")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    with app.app_context(), as_tenant(OWN_TENANT):
        entry = db.session.scalar(select(Entry).where(Entry.department_id == citizens,
                                                      Entry.standard_task_id == int(mad01[1:])))
        assert entry is not None and (entry.hours_per_year, entry.paper_share) == (Decimal(120), 40)
    not_excel = client.post(base + "/upload", data={"file": (io.BytesIO(b"hello"), "h.xlsx")},
                            content_type="multipart/form-data")
    assert not_excel.status_code == 400 and "Excel（.xlsx）ファイルではありません" in not_excel.get_data(as_text=True)
    export = client.get(f"/workload/rounds/{round_id}/results.xlsx")
    titles = load_workbook(io.BytesIO(export.data)).sheetnames
    assert titles == ["業務分類", "部署", "業務"]


def test_results_show_candidates_and_earlier_round(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    _own_round(app, FY - 1)
    round_id, _departments = _own_round(app)
    login_as("member")
    page = client.get(f"/workload/rounds/{round_id}/results").get_data(as_text=True)
    candidates = page.split('data-testid="candidates"')[1].split("</table>")[0]
    # non-core by hours: MAD01 (3,000 h) before ZEI04 (800 h); MAD04 is core and never a candidate
    assert candidates.index("住民異動届の受付・入力") < candidates.index("納税通知書の印刷・封入・発送")
    assert "戸籍届出の受付・審査" not in candidates
    assert 'data-testid="non-core-share">88.4<' in page  # 3,800 of 4,300 hours
    assert "比較" in page.split('data-testid="comparison"')[1][:200]
    # the charts are drawn without script (the layout's own /static/js files aside)
    assert "<svg" in page and not re.search(r'<script(?![^>]*src="/static/js/)', page)


def test_benchmark_shows_medians_with_five_peers_and_hides_with_four(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    round_id, _departments = _own_round(app)
    _peers(app, 4)
    login_as("member")
    four = client.get(f"/workload/rounds/{round_id}/benchmark").get_data(as_text=True)
    assert four.count("非表示（参加団体が少ないため）") == 7
    with app.app_context():
        make_round(CITIES[4], FY, {"市民課": {"MAD01": (1400, 1000)}}, close=True, share_benchmark=True)
        db.session.commit()
    five = client.get(f"/workload/rounds/{round_id}/benchmark").get_data(as_text=True)
    assert 'data-testid="median-madoguchi">1.20<' in five
    assert five.count("非表示（参加団体が少ないため）") == 6
    # 青梅市's own 3.50 h per case is well above the median: casebook and support links, pre-filled
    gaps = five.split('data-testid="gaps"')[1]
    assert 'href="/casebook?q=%E7%AA%93%E5%8F%A3"' in gaps
    assert 'href="/support/new?title=' in gaps and "source=workload" in gaps
    # … and the support request opens filled in from the gap, saved only when the person presses 保存
    def engagements() -> int:
        with app.app_context(), as_tenant(OWN_TENANT):
            return int(db.session.scalar(text("SELECT count(*) FROM support_engagements")) or 0)

    before = engagements()
    link = html.unescape(re.search(r'href="(/support/new\?[^"]+)"', gaps).group(1))  # type: ignore[union-attr]
    form = client.get(link).get_data(as_text=True)
    assert 'data-testid="prefilled"' in form and "窓口の業務量の削減" in form and "比較団体の中央値" in form
    assert engagements() == before
    everyone = client.get(f"/workload/rounds/{round_id}/benchmark?peer=all").get_data(as_text=True)
    assert 'data-testid="median-madoguchi">1.20<' in everyone


def test_tmg_sees_only_what_was_shared_with_it_and_the_read_is_audited(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_round(CITIES[0], FY, {"課": {"ZEI01": (700, 70)}}, close=True, share_with_tmg=True)
        make_round(CITIES[1], FY, {"課": {"ZEI01": (900, 90)}}, close=True, share_benchmark=True)
        db.session.commit()
    login_as("curator")
    page = client.get(f"/workload/shared?fiscal_year={FY}").get_data(as_text=True)
    assert "八王子市" in page and "10.00" in page
    assert "立川市" not in page
    with app.app_context(), as_tenant("130001"):
        assert db.session.scalar(text(
            "SELECT count(*) FROM audit_log WHERE action = 'workload.shared_figures_read'")) >= 1
    login_as("member")
    assert client.get(f"/workload/shared?fiscal_year={FY}").status_code == 403


def test_reminders_reach_the_contacts_of_departments_not_submitted(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    round_id, (citizens, tax) = _own_round(app)
    with app.app_context(), as_tenant(OWN_TENANT):
        member_id = db.session.scalar(text("SELECT id FROM users WHERE email = 'member@ome.example.jp'"))
    login_as("tenant_admin")
    client.post(f"/workload/rounds/{round_id}/departments/{citizens}/contact", data={"contact_user_id": member_id})
    client.post(f"/workload/rounds/{round_id}/departments/{tax}/contact", data={"contact_user_id": member_id})
    login_as("member")
    waiting = client.get("/workload/").get_data(as_text=True).split('data-testid="waiting-departments"')[1]
    assert "市民課" in waiting.split("</ul>")[0] and "課税課" in waiting.split("</ul>")[0]
    assert client.post(f"/workload/rounds/{round_id}/departments/{tax}/submit").status_code == 302
    waiting = client.get("/workload/").get_data(as_text=True).split('data-testid="waiting-departments"')[1]
    assert "市民課" in waiting.split("</ul>")[0] and "課税課" not in waiting.split("</ul>")[0]
    with app.test_request_context():
        from flask_login import login_user

        from kernel.waiting import waiting_for
        from tenants.models import User

        with as_tenant(OWN_TENANT):
            member = db.session.get(User, (OWN_TENANT, member_id))
            login_user(member)
            items = [i for i in waiting_for(member) if i.key == "workload.departments_due"]
        assert [(i.count, i.url) for i in items] == [(1, "/workload/#waiting")]
    login_as("tenant_admin")
    response = client.post(f"/workload/rounds/{round_id}/reminders", follow_redirects=True)
    assert "1 人に督促を送りました" in response.get_data(as_text=True)
    with app.app_context(), as_tenant(OWN_TENANT):
        reminders = db.session.execute(text(
            "SELECT url, params FROM notifications WHERE user_id = :u AND kind = 'workload.submission_reminder'"),
            {"u": member_id}).all()
    assert [(url, params.get("year")) for url, params in reminders] == [(f"/workload/rounds/{round_id}", 2033)]
    login_as("member")  # the reminder is a notification rendered from the workload catalogue (kernel.notifications)
    page = client.get("/notifications").get_data(as_text=True)
    assert "業務量調査 2033：部署の時間を入力し、提出してください。" in page


def test_a_closed_round_refuses_entries_and_reopens(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    round_id, (citizens, _tax) = _own_round(app)
    login_as("tenant_admin")
    assert client.post(f"/workload/rounds/{round_id}/close", data={"share_benchmark": "y"}).status_code == 302
    with app.app_context():
        mad01 = task_id("MAD01")
    refused = client.post(f"/workload/rounds/{round_id}/departments/{citizens}",
                          data={f"hours-S{mad01}": "1"})
    assert refused.status_code == 400 and "締め切られています" in refused.get_data(as_text=True)
    with app.app_context(), as_tenant(OWN_TENANT):
        actor = admin_of(OWN_TENANT)
        round_ = services.queries.get_round(OWN_TENANT, round_id)
        assert round_ is not None and round_.share_benchmark
    assert actor is not None
    assert client.post(f"/workload/rounds/{round_id}/reopen", data={}).status_code == 302


def test_demo_data_publishes_the_current_years_benchmark(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    from kernel.i18n import fiscal_year_of, today_tokyo
    from workload import queries

    year = fiscal_year_of(today_tokyo())
    with app.app_context():
        cities, everyone = queries.benchmark_cells(year, "city"), queries.benchmark_cells(year, "all")
        assert queries.benchmark_cells(year, "town_village") == {}
    assert len(cities) == 7 and all(c.published and c.contributors == 5 for c in cities.values())
    # 5 cities and 6 wards share, in that order: the all-Tokyo cell moved when the fifth ward made every
    # kind large enough (10); the sixth ward is held back until k municipalities have joined since.
    assert all(c.published and c.contributors == 10 for c in everyone.values())
    login_as("tenant_admin")
    rounds = client.get("/workload/").get_data(as_text=True)
    assert f"{year - 1}" in rounds or "令和" in rounds


def test_the_template_of_a_department_reads_back_unchanged(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    """Export → import → identical data (issue 18.3): a department's filled template, uploaded as it
    came, changes none of its entries (hours, how they were entered, cases, paper share)."""
    round_id, (citizens, _tax) = _own_round(app)

    def entries() -> list[tuple[object, ...]]:
        with app.app_context(), as_tenant(OWN_TENANT):
            return [tuple(row) for row in db.session.execute(
                select(Entry.standard_task_id, Entry.own_task_id, Entry.group_code, Entry.hours_per_year,
                       Entry.entered_per, Entry.cases_per_year, Entry.paper_share)
                .where(Entry.department_id == citizens).order_by(Entry.standard_task_id, Entry.own_task_id))]

    login_as("member")
    base = f"/workload/rounds/{round_id}/departments/{citizens}"
    before = entries()
    assert len(before) == 2
    template = client.get(base + "/template.xlsx")
    back = client.post(base + "/upload", data={"file": (io.BytesIO(template.data), "t.xlsx")},
                       content_type="multipart/form-data")
    assert back.status_code == 302
    assert entries() == before
