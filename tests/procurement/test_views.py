"""Pages and API through the test client: declare, approve, late edit, award, exports, who sees what."""
from __future__ import annotations

import io
import json
import re

from openpyxl import load_workbook
from sqlalchemy import func, select, text

from kernel.extensions import db
from procurement.models import Declaration, Project
from tests.conftest import login
from tests.factories.procurement import declare, make_project, user


def _ready(app, **kwargs) -> Project:  # type: ignore[no-untyped-def]
    with app.app_context():
        project = make_project(**kwargs)
        project_id = project.id
        db.session.commit()
        db.session.remove()
    return project_id


def _form(project_id: int, app, quantity: object = 40, intent: str = "interested", **extra) -> dict:  # type: ignore[no-untyped-def]
    with app.app_context():
        item_id = db.session.get(Project, project_id).items[0].id
        db.session.remove()
    return {f"qty_{item_id}": str(quantity), "intent": intent, "max_budget_yen": "300000",
            "contact_name": "青梅 花子", "contact_email": "member@ome.example.jp", **extra}


def _writes(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        value = int(db.session.execute(text(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname LIKE 'procurement_%'")).scalar() or 0)
        db.session.remove()
    return value


def test_member_declares_admin_approves_and_everyone_sees_only_the_aggregate(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _ready(app)
    login(client, "member")
    page = client.get(f"/procurement/{project_id}/declaration")
    assert page.status_code == 200 and "需要申告" in page.get_data(as_text=True)
    response = client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app, intent="commit"))
    assert response.status_code == 302
    detail = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    assert "参加確定（承認待ち）" in detail and "参加確定を承認する" not in detail
    # 40 × 1,000円 + 100,000円 (alone); pooled with nobody else the same
    assert "140,000円" in detail

    admin = app.test_client()
    login(admin, "tenant_admin")
    detail = admin.get(f"/procurement/{project_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', detail.split("参加確定を承認する")[0].rsplit("<form", 1)[1])
    assert version is not None
    approved = admin.post(f"/procurement/{project_id}/declaration/approve", data={"version": version.group(1)})
    assert approved.status_code == 302
    assert "参加確定</p>" in admin.get(f"/procurement/{project_id}").get_data(as_text=True)

    other = app.test_client()
    login(other, "other_member")
    page = other.get(f"/procurement/{project_id}").get_data(as_text=True)
    assert "1団体が需要を申告し、うち1団体が参加を確定しています。" in page
    assert "300,000円" not in page and "青梅 花子" not in page  # never another's budget or contact
    assert other.get(f"/procurement/{project_id}/declarations").status_code == 403
    body = other.get(f"/api/v1/procurement/projects/{project_id}/aggregate").get_json()
    assert body["participants"] == 1 and body["items"][0]["declared_quantity"] == 40 and "own" not in body


def test_bad_input_gives_a_japanese_message_and_writes_nothing(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _ready(app)
    login(client, "member")
    before = _writes(app)
    for data in (_form(project_id, app, quantity="abc"), _form(project_id, app, quantity=-3),
                 _form(project_id, app, quantity=0), _form(project_id, app, contact_email="nope"),
                 _form(project_id, app, max_budget_yen="1.5"), _form(project_id, app, intent="maybe")):
        response = client.post(f"/procurement/{project_id}/declaration", data=data)
        assert response.status_code == 400, data
        assert "入力" in response.get_data(as_text=True) or "選" in response.get_data(as_text=True)
    assert _writes(app) == before
    login(client, "curator")
    for data in ({"title": "", "items": "x | licence"}, {"title": "t", "category": "rpa", "items": "名前だけ",
                 "survey_opens_at": "2027-01-01T09:00", "survey_closes_at": "2026-01-01T09:00",
                 "contract_start_fy": "2027", "contract_end_fy": "2027"}):
        assert client.post("/procurement/new", data=data).status_code == 400
    assert client.post(f"/procurement/{project_id}/status", data={"to_status": "completed"}).status_code == 303
    assert _writes(app) == before


def test_late_edit_is_refused_with_a_clear_message(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _ready(app)
    login(client, "member")
    assert client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app)).status_code == 302
    curator = app.test_client()
    login(curator, "curator")
    assert curator.post(f"/procurement/{project_id}/status", data={"to_status": "survey_closed"}).status_code == 302
    response = client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app, quantity=41,
                                                                                 version="1"))
    assert response.status_code == 409
    assert "需要調査の受付期間外のため、申告を変更できません" in response.get_data(as_text=True)


def test_stale_form_answers_409(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _ready(app)
    login(client, "member")
    client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app))
    client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app, quantity=50, version="1"))
    response = client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app, quantity=60,
                                                                                 version="1"))
    assert response.status_code == 409 and "他の人がこの申告を更新しました" in response.get_data(as_text=True)


def _awarded(app) -> int:  # type: ignore[no-untyped-def]
    from procurement import services

    with app.app_context():
        project = make_project(title="落札テスト")
        declare(project, "tenant_admin", [40], intent="commit", budget=200_000)
        declare(project, "other_admin", [120], intent="commit", budget=500_000)
        declare(project, "chiyoda_cio", [60], intent="commit")
        curator = user("curator")
        services.transition(curator, project, "survey_closed")
        services.transition(curator, project, "tendering")
        services.award(curator, project, project.quotes[0].id)
        project_id = project.id
        db.session.commit()
        db.session.remove()
    return project_id


def test_allocation_savings_and_workbook(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    login(client, "member")
    page = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    assert "貴団体の負担額：50,182円（単独調達の場合：140,000円、削減額：89,818円）" in page
    savings = client.get(f"/procurement/{project_id}/savings").get_data(as_text=True)
    assert "<svg" in savings and "共同調達と単独調達の比較" in savings
    assert "青梅市" in savings and "江東区" not in savings  # own row and the total only
    assert "276,000円" in savings and "496,000円" in savings

    login(client, "curator")
    savings = client.get(f"/procurement/{project_id}/savings").get_data(as_text=True)
    assert "江東区" in savings and "150,545円" in savings
    response = client.get(f"/procurement/{project_id}/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["概要", "参加団体", "数量", "按分"]
    rows = list(book["按分"].iter_rows(values_only=True))
    assert rows[0][-4:] == ("初期費用按分(円)", "負担額(円)", "単独調達の場合(円)", "削減額(円)")
    by_code = {r[0]: r for r in rows[1:-1]}
    assert by_code["131083"][-3:] == (150_545, 196_000, 45_455)
    assert rows[-1][-3:] == (276_000, 496_000, 220_000)
    participants = list(book["参加団体"].iter_rows(values_only=True))
    assert {r[0]: r[2] for r in participants[1:]} == {"131016": "参加確定", "131083": "参加確定", "132055": "参加確定"}


def test_api_lists_reads_and_hides(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    with app.app_context():
        from tenants.tokens import create_token

        _row, token = create_token(user("other_member"), "test")
        db.session.commit()
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/procurement/projects", headers=headers).get_json()
    assert project_id in [p["id"] for p in listed["projects"]]
    detail = client.get(f"/api/v1/procurement/projects/{project_id}", headers=headers).get_json()
    assert detail["status"] == "awarded" and detail["contract_total_yen"] == 276_000
    assert [t["to"] for t in detail["timeline"]] == ["draft", "demand_survey", "survey_closed", "tendering", "awarded"]
    own = client.get(f"/api/v1/procurement/projects/{project_id}/declaration", headers=headers)
    assert own.status_code == 200 and own.get_json()["quantities"] == {str(detail["items"][0]["id"]): 120}
    agg = client.get(f"/api/v1/procurement/projects/{project_id}/aggregate", headers=headers).get_json()
    assert agg["own"]["allocation_yen"] == 150_545 and agg["items"][0]["unit_price_yen"] == 800
    assert client.get(f"/api/v1/procurement/projects/{project_id}/ocds", headers=headers).status_code == 403
    assert client.get("/api/v1/procurement/projects/999999", headers=headers).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/procurement/projects/{project_id}/ocds" in spec["paths"]


def test_print_sheet_has_the_own_declaration(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    login(client, "other_admin")
    page = client.get(f"/procurement/{project_id}/print").get_data(as_text=True)
    assert "print-sheet" in page and "500,000円" in page and "150,545円" in page
    assert "200,000円" not in page  # 青梅市's budget never shows


def test_declaration_count_in_database(app) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    with app.app_context():
        user("curator")
        assert db.session.scalar(select(func.count()).select_from(Declaration).where(
            Declaration.project_id == project_id)) == 3
        db.session.remove()


def test_ocds_json_download(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    login(client, "curator")
    response = client.get(f"/procurement/{project_id}/ocds.json")
    assert response.status_code == 200
    package = json.loads(response.data)
    assert [r["tag"] for r in package["releases"]] == [["planning"], ["tender"], ["award"]]


def test_specification_documents(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _ready(app)
    login(client, "curator")
    before = _writes(app)
    bad = client.post(f"/procurement/{project_id}/documents", data={
        "title": "仕様書", "file": (io.BytesIO(b"just text"), "spec.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 303 and _writes(app) == before
    assert "PDF または Office 形式" in client.get(f"/procurement/{project_id}").get_data(as_text=True)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    good = client.post(f"/procurement/{project_id}/documents", data={
        "title": "仕様書（案）", "file": (io.BytesIO(pdf), "仕様書.pdf")}, content_type="multipart/form-data")
    assert good.status_code == 302
    login(client, "other_member")
    page = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    link = re.search(r'href="(/procurement/\d+/documents/\d+)">仕様書（案）', page)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.data == pdf and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]


def _project_form(**extra: str) -> dict[str, str]:
    return {"title": "RPA 共同調達", "category": "rpa", "survey_opens_at": "2026-12-01T09:00",
            "survey_closes_at": "2027-01-15T17:00", "contract_start_fy": "2027", "contract_end_fy": "2029",
            "items": "RPA ライセンス | ライセンス\n研修 | set\n端末 ｜ 台", **extra}


def test_organiser_forms_refuse_bad_input_without_500(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _ready(app)
    login(client, "curator")
    before = _writes(app)
    for extra in ({"contract_start_fy": "abc"}, {"contract_end_fy": "2026"}, {"survey_opens_at": "yesterday"},
                  {"items": "RPA | parsec"}, {"category": "weapons"}, {"title": "x" * 300},
                  {"contract_start_fy": "99999999999999999999"}):
        response = client.post("/procurement/new", data=_project_form(**extra))
        assert response.status_code == 400, extra
    with app.app_context():
        item_id = db.session.get(Project, project_id).items[0].id
        db.session.remove()
    for tiers, fee in (("1: abc", "0"), ("5: 100", "0"), ("1: 100\n10: 200", "0"), ("1: 10000000000000000", "0"),
                       ("1: 100", "-1"), ("1: 100", "1e9"), ("1: 100\n99999999999: 1", "0")):
        response = client.post(f"/procurement/{project_id}/quotes/new", data={
            "vendor_name": "A社", f"tiers_{item_id}": tiers, f"fee_{item_id}": fee})
        assert response.status_code == 400, (tiers, fee)
    assert client.post(f"/procurement/{project_id}/award", data={"quote_id": "abc"}).status_code == 400
    assert client.post(f"/procurement/{project_id}/status", data={"to_status": "bogus"}).status_code == 303
    assert client.post(f"/procurement/{project_id}/status", data={"to_status": "cancelled"}).status_code == 303
    assert _writes(app) == before
    login(client, "member")
    for quantity in ("1" * 40, "1e3", " "):
        assert client.post(f"/procurement/{project_id}/declaration",
                           data=_form(project_id, app, quantity=quantity)).status_code == 400
    assert _writes(app) == before


def test_create_edit_and_stale_edit_of_a_project(app, client) -> None:  # type: ignore[no-untyped-def]
    login(client, "curator")
    response = client.post("/procurement/new", data=_project_form())
    assert response.status_code == 302
    project_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    page = client.get(f"/procurement/{project_id}/edit").get_data(as_text=True)
    # units as the form shows them (Japanese label, code or full-width bar all accepted on input)
    assert "RPA ライセンス | ライセンス" in page and "研修 | 式" in page and "端末 | 台" in page
    assert "2026-12-01T09:00" in page
    edited = client.post(f"/procurement/{project_id}/edit", data=_project_form(title="改題", version="1"))
    assert edited.status_code == 302
    stale = client.post(f"/procurement/{project_id}/edit", data=_project_form(title="古い", version="1"))
    assert stale.status_code == 409 and "他の人がこの案件を更新しました" in stale.get_data(as_text=True)
    detail = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    assert "改題" in detail and "2026-12-01 09:00" in detail and "令和9年度 – 令和11年度" in detail


def test_pages_in_english(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    login(client, "other_admin")
    assert client.post("/lang", data={"lang": "en", "next": "/"}).status_code == 302
    page = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    assert "Pooled demand" in page and "Your allocated cost: ¥150,545" in page and "FY2027" in page
    savings = client.get(f"/procurement/{project_id}/savings").get_data(as_text=True)
    assert "Pooled price compared with buying alone" in savings and "Koto" in savings


def test_service_messages_follow_the_language(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _awarded(app)
    login(client, "other_admin")
    assert client.post("/lang", data={"lang": "en", "next": "/"}).status_code == 302
    late = client.post(f"/procurement/{project_id}/declaration", data=_form(project_id, app, version="1"))
    assert late.status_code == 409
    assert "The demand survey is closed, so the declaration can no longer be changed" in late.get_data(as_text=True)
