"""Journey: 青梅市's admin opens a survey round → two departments enter their hours (市民課 in the browser,
課税課 through the Excel template) → the results show the top non-core candidates → the peer benchmark
shows the medians of the five cities that shared their rounds in the demo data; with one of them
withdrawn (four left) the cells are suppressed."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.browser.conftest import dev_login

pytestmark = pytest.mark.browser
FUCHU = "132063"  # 府中市, one of the five demo cities


def _set_fuchu_sharing(live_app, share: bool) -> None:  # type: ignore[no-untyped-def]
    """府中市's admin (no demo account: a stand-in with the admin's permissions) gives or withdraws consent."""
    from kernel.extensions import db
    from kernel.i18n import fiscal_year_of, today_tokyo
    from tenants.context import as_tenant
    from tenants.roles import Role, permissions_for
    from workload import services
    from workload.models import Round

    granted = permissions_for({Role.MEMBER.value, Role.TENANT_ADMIN.value})
    actor = SimpleNamespace(is_authenticated=True, tenant_id=FUCHU, id=None, can=lambda p: p in granted)
    with live_app.app_context():
        with as_tenant(FUCHU):
            round_ = db.session.scalar(select(Round).where(Round.tenant_id == FUCHU,
                                                           Round.fiscal_year == fiscal_year_of(today_tokyo())))
            assert round_ is not None
            services.set_sharing(actor, round_, share, round_.share_with_tmg, round_.version)
        db.session.commit()
        db.session.remove()


def test_workload_survey_journey(page, new_page, live_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 1. the admin opens this fiscal year's round with two departments
    dev_login(page, "tenant_admin")
    page.goto("/workload/")
    page.get_by_role("link", name="調査を開始する").click()
    page.get_by_label("参加する部署（1行に1部署）").fill("市民課\n課税課")
    page.get_by_role("button", name="調査を開始する").click()
    page.get_by_text("調査を開始しました。").wait_for()
    round_url = page.url
    assert page.get_by_role("row", name="市民課").get_by_text("未着手").is_visible()

    # 2. a member enters 市民課's hours in the browser and submits them
    member = new_page()
    dev_login(member, "member")
    member.goto(round_url)
    member.get_by_role("link", name="市民課").click()
    member.get_by_role("textbox", name="時間 住民異動届の受付・入力").fill("2400")
    member.get_by_role("textbox", name="年間件数 住民異動届の受付・入力").fill("12,000")
    member.get_by_role("textbox", name="紙・対面の割合（％） 住民異動届の受付・入力").fill("90")
    member.get_by_role("textbox", name="時間 窓口・電話での案内").fill("150")
    member.get_by_role("combobox", name="単位 窓口・電話での案内").select_option("month")
    member.get_by_role("textbox", name="年間件数 窓口・電話での案内").fill("20000")
    member.get_by_role("textbox", name="時間 戸籍届出の受付・審査").fill("abc")
    member.get_by_role("button", name="時間を保存する").click()
    member.get_by_text("読み取れない数値があったため、何も保存されていません。").wait_for()
    member.get_by_role("textbox", name="時間 戸籍届出の受付・審査").fill("600")
    member.get_by_role("textbox", name="年間件数 戸籍届出の受付・審査").fill("3000")
    member.get_by_role("button", name="時間を保存する").click()
    member.get_by_text("時間を保存しました。").wait_for()
    member.get_by_role("button", name="部署の時間を提出する").click()
    member.get_by_text("部署の時間を提出しました。").wait_for()
    assert member.get_by_role("row", name="市民課").get_by_text("提出済み").is_visible()

    # 3. 課税課 fills in the Excel template and uploads it
    member.get_by_role("link", name="課税課").click()
    with member.expect_download() as download:
        member.get_by_role("link", name="この部署のExcel様式をダウンロード").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    book = load_workbook(template)
    sheet = book["業務量"]
    for row in sheet.iter_rows(min_row=2):
        if row[2].value == "納税通知書の印刷・封入・発送":
            row[4].value, row[6].value, row[7].value = 900, 30000, 100
        if row[2].value == "個人住民税の賦課決定":
            row[4].value, row[6].value = 1500, 30000
    book.save(tmp_path / "filled.xlsx")
    member.get_by_label("Excelファイル（.xlsx）").set_input_files(str(tmp_path / "filled.xlsx"))
    member.get_by_role("button", name="Excelファイルをアップロードする").click()
    member.get_by_text("Excelファイルから 2 件の業務を取り込みました。").wait_for()
    assert member.get_by_role("textbox", name="時間 納税通知書の印刷・封入・発送").input_value() == "900"

    # 4. the results: hours by group and department, the top non-core candidates
    page.goto(round_url)
    page.get_by_role("link", name="結果").first.click()
    candidates = page.get_by_test_id("candidates")
    first, second, third = (candidates.locator("tbody tr").nth(n).locator("th").inner_text() for n in range(3))
    assert (first, second, third) == ("住民異動届の受付・入力", "窓口・電話での案内", "納税通知書の印刷・封入・発送")
    assert "戸籍届出の受付・審査" not in candidates.inner_text()  # core
    assert page.get_by_test_id("total-hours").inner_text() == "7,200.0"

    # 5. the benchmark: five cities shared their rounds, the medians show
    page.get_by_role("link", name="団体間比較").first.click()
    median = page.get_by_test_id("median-madoguchi")
    assert median.inner_text().replace(".", "").isdigit(), median.inner_text()
    assert page.get_by_test_id("median-zeimu").inner_text() != "非表示（参加団体が少ないため）"
    benchmark_url = page.url
    # 青梅市's 窓口 hours per case (4,800 h / 35,000 cases) beside the peers' median; above it, the way to help
    assert page.get_by_role("row", name="窓口").get_by_text("0.14").is_visible()

    # 6. one city withdraws its consent: four contributors, every city cell is suppressed
    _set_fuchu_sharing(live_app, False)
    try:
        page.goto(benchmark_url)
        assert page.get_by_test_id("median-madoguchi").inner_text() == "非表示（参加団体が少ないため）"
        assert page.locator("text=非表示（参加団体が少ないため）").count() == 7
        assert page.get_by_test_id("gaps").count() == 0
    finally:
        _set_fuchu_sharing(live_app, True)
