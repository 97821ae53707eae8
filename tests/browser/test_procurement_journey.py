"""Journey: a TMG curator opens a project with tiers → three municipalities declare, 青梅市 commits after its
admin's approval → the survey closes and a late edit is refused → award → every participant sees its
allocation → the curator downloads the Excel workbook and the OCDS package; a participant prints its sheet."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook

from kernel.i18n import TOKYO
from tests.browser.conftest import dev_login
from tests.browser.pdf import page_pdf_text

pytestmark = pytest.mark.browser
TITLE = "ブラウザ共同調達 AI-OCR"


def _declare(page, project_url: str, quantity: int, intent: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(project_url)
    page.get_by_role("link", name="需要を申告する").click()
    page.get_by_label("AI-OCR ライセンス").fill(str(quantity))
    page.get_by_label("予算上限額（円）").fill("500000")
    page.get_by_label(intent).check()
    page.get_by_role("button", name="申告を保存する").click()
    page.wait_for_url(project_url)


def test_joint_procurement_journey(page, new_page) -> None:  # type: ignore[no-untyped-def]
    # 1. the curator opens a project with tiers
    dev_login(page, "curator")
    page.goto("/procurement/")
    page.get_by_role("link", name="新しい案件").click()
    now = datetime.now(TOKYO)
    page.get_by_label("件名").fill(TITLE)
    page.get_by_label("分類").select_option("ai_ocr")
    page.get_by_label("需要調査の開始（日本時間）").fill((now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("需要調査の締切（日本時間）").fill((now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("契約開始年度").fill("2027")
    page.get_by_label("契約終了年度").fill("2028")
    page.get_by_label("品目").fill("AI-OCR ライセンス | licence")
    page.get_by_role("button", name="保存").click()
    assert page.locator("h1").inner_text() == TITLE
    project_url = page.url
    page.get_by_role("link", name="見積を登録").click()
    page.get_by_label("事業者", exact=True).fill("株式会社ブラウザ")
    page.get_by_label("「AI-OCR ライセンス」の初期費用（円）").fill("100000")
    page.get_by_label("「AI-OCR ライセンス」の価格帯").fill("1: 1000\n100: 800\n250: 700")
    page.get_by_role("button", name="見積を保存する").click()
    page.get_by_role("button", name="「需要調査」に進める").click()
    assert page.get_by_test_id("project-status").inner_text() == "需要調査"

    # 2. three municipalities declare; 青梅市's member commits and its admin approves
    ome = new_page()
    dev_login(ome, "member")
    _declare(ome, project_url, 40, "参加を確定する（管理者の承認が必要）")
    assert ome.get_by_test_id("own-status").inner_text() == "参加確定（承認待ち）"
    ome_admin = new_page()
    dev_login(ome_admin, "tenant_admin")
    ome_admin.goto(project_url)
    ome_admin.get_by_role("button", name="参加確定を承認する").click()
    assert ome_admin.get_by_test_id("own-status").inner_text() == "参加確定"
    koto = new_page()
    dev_login(koto, "other_admin")
    _declare(koto, project_url, 120, "参加を確定する（管理者の承認が必要）")
    chiyoda = new_page()
    dev_login(chiyoda, "chiyoda_cio")
    _declare(chiyoda, project_url, 60, "参加を確定する（管理者の承認が必要）")
    counts = chiyoda.get_by_test_id("participants").inner_text()
    assert "3団体が需要を申告し、うち3団体が参加を確定しています。" in counts
    assert "500,000円" not in chiyoda.get_by_role("region", name="需要の集計").inner_text()

    # 3. 青梅市 opens its form, the survey closes, the late edit is refused with a clear message
    ome.goto(project_url)
    ome.get_by_role("link", name="申告を変更する").click()
    page.goto(project_url)
    page.get_by_role("button", name="「需要調査終了」に進める").click()
    assert page.get_by_test_id("project-status").inner_text() == "需要調査終了"
    ome.get_by_label("AI-OCR ライセンス").fill("45")
    ome.get_by_role("button", name="申告を保存する").click()
    assert "需要調査の受付期間外のため、申告を変更できません" in ome.locator("main").inner_text()

    assert Axe().run(ome).violations_count == 0  # the refused form, with its message, is accessible

    # 4. award
    page.get_by_role("button", name="「入札・見積中」に進める").click()
    page.get_by_label("落札とする見積").select_option(label="株式会社ブラウザ")
    page.get_by_role("button", name="落札を決定し費用を按分する").click()
    page.get_by_test_id("confirm-button").click()  # the step asks first (issue 17.6)
    assert page.get_by_test_id("project-status").inner_text() == "落札者決定"
    assert "落札者決定" in page.get_by_test_id("timeline").inner_text()

    # 5. every participant sees its allocation (220 licences at 800円; 100,000円 set-up fee by quantity)
    for participant, amount in ((ome, "50,182円"), (koto, "150,545円"), (chiyoda, "75,273円")):
        participant.goto(project_url)
        assert amount in participant.get_by_test_id("own-allocation").inner_text()

    koto.goto(project_url + "/savings")
    assert "<svg" in koto.content() and Axe().run(koto).violations_count == 0

    # 6. the organiser downloads the Excel workbook and the OCDS package
    with page.expect_download() as excel:
        page.get_by_role("link", name="Excel ブック").click()
    book = load_workbook(io.BytesIO(open(excel.value.path(), "rb").read()))
    totals = list(book["按分"].iter_rows(values_only=True))[-1]
    assert totals[-3:] == (276_000, 496_000, 220_000)
    with page.expect_download() as ocds:
        page.get_by_role("link", name="OCDS リリースパッケージ（公開用）").click()
    package = json.loads(open(ocds.value.path(), encoding="utf-8").read())
    assert [r["tag"] for r in package["releases"]] == [["planning"], ["tender"], ["award"]]
    assert "budgetBreakdown" not in json.dumps(package)  # the publication carries no budget ceiling

    # 7. a participant's printable sheet: A4, its own declaration, 和暦 date
    text, pages = page_pdf_text(koto, project_url + "/print")
    assert pages >= 1 and TITLE in text and "150,545円" in text and "令和" in text and "2026年" in text
    assert f"1 / {pages}" in text  # page numbers from the print stylesheet
    assert "200,000円" not in text and "青梅" not in text  # nothing of another municipality
