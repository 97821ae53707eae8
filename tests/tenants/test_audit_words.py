"""The audit log in words (issue 17.5): labels for every action code, names, titles, before → after,
filters by person, action and date, paging and the Excel export — and still only the viewer's own tenant."""
from __future__ import annotations

import ast
import io
import re
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from kernel.extensions import db
from kernel.i18n import today_tokyo
from tenants.audit_labels import ACTION_LABELS
from tenants.context import bind_tenant
from tenants.models import User
from tests.conftest import KOTO, OME, login

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("kernel", "tenants", "portal", "casebook", "procurement", "awards", "workload", "community", "support")


def _is_audit_call(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr in ("record", "record_always") \
        and isinstance(func.value, ast.Name) and func.value.id == "audit"


def _constants(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def audited_action_codes() -> set[str]:
    """Every action code the runtime writes: the first argument of audit.record / record_always (also when
    imported by name), of helpers that pass their first parameter on to it, and both branches of a ``x if c
    else y``."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for pkg in RUNTIME for path in (ROOT / pkg).rglob("*.py")]
    wrappers = set()
    for tree in trees:
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and fn.args.args:
                first = fn.args.args[0].arg
                if any(isinstance(c, ast.Call) and _is_audit_call(c.func) and c.args and isinstance(c.args[0], ast.Name)
                       and c.args[0].id == first for c in ast.walk(fn)):
                    wrappers.add(fn.name)
    codes: set[str] = set()
    for tree in trees:
        imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                    and n.module == "kernel.audit" for a in n.names if a.name in ("record", "record_always")}
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and call.args:
                name = call.func.id if isinstance(call.func, ast.Name) else None
                if _is_audit_call(call.func) or name in wrappers or name in imported:
                    codes |= _constants(call.args[0])
    return codes


def test_every_audited_action_has_a_label_in_japanese_and_english(app) -> None:  # type: ignore[no-untyped-def]
    codes = audited_action_codes()
    assert len(codes) > 100 and {"user.roles", "user.invite", "user.deactivate", "support.meeting_add"} <= codes
    missing = sorted(codes - set(ACTION_LABELS))
    assert not missing, f"add a label to tenants/audit_labels.ACTION_LABELS (and its Japanese) for: {missing}"
    with app.test_request_context("/admin/audit"):
        from kernel.i18n import domain_for

        domain_for("tenants").as_default()
        with force_locale("ja"):
            japanese = {code: str(label) for code, label in ACTION_LABELS.items()}
        with force_locale("en"):
            english = {code: str(label) for code, label in ACTION_LABELS.items()}
    untranslated = sorted(code for code in ACTION_LABELS if japanese[code] == english[code])
    assert not untranslated, f"no Japanese label for {untranslated}"
    assert japanese["user.roles"] == "役割を変更" and english["user.roles"] == "Roles changed"


def test_the_sso_settings_entry_names_every_field_in_japanese(app) -> None:  # type: ignore[no-untyped-def]
    """A municipality's SSO settings are audited as their public view plus how they were changed: every key of
    it reads as words, not as its code (the log showed client_id, has_secret, inactivity_days …)."""
    from tenants.audit_labels import FIELD_LABELS, describe_changes
    from tenants.sso.models import SsoProvider
    from tenants.sso.services import _public_view

    keys = {*_public_view(SsoProvider(tenant_id=OME, issuer="https://idp.example", client_id="c")),
            "secret_changed", "via"}
    missing = sorted(keys - set(FIELD_LABELS))
    assert not missing, f"add a label to tenants/audit_labels.FIELD_LABELS (and its Japanese) for: {missing}"
    with app.test_request_context("/admin/audit"):
        from kernel.i18n import domain_for

        domain_for("tenants").as_default()
        with force_locale("ja"):
            rows = describe_changes({"inactivity_days": 90, "has_secret": False},
                                    {"inactivity_days": 30, "has_secret": True, "via": "web",
                                     "operator_role_mapping": {}})
            japanese = {key: str(FIELD_LABELS[key]) for key in keys}
        with force_locale("en"):
            english = {key: str(FIELD_LABELS[key]) for key in keys}
    untranslated = sorted(key for key in keys if japanese[key] == english[key])
    assert not untranslated, f"no Japanese label for {untranslated}"
    assert rows == [("連携の方法", "—", "設定画面"), ("クライアントシークレットの登録", "いいえ", "はい"),
                    ("運用担当が設定したグループと役割の対応", "—", "—"),
                    ("未ログインで無効化するまでの日数", "90", "30")]


def _member_id(app: Flask, tenant: str = OME, email: str = "member@ome.example.jp") -> int:
    with app.app_context():
        bind_tenant(tenant)
        found = db.session.scalar(select(User.id).where(User.tenant_id == tenant, User.email == email))
        db.session.remove()
    assert found is not None
    return int(found)


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>") if "<td" in row]


def test_the_log_reads_in_words_with_names_titles_and_before_after(app) -> None:  # type: ignore[no-untyped-def]
    admin = login(app.test_client(), "tenant_admin")
    member_id = _member_id(app)
    assert admin.post(f"/admin/users/{member_id}", data={"roles": ["member", "judge"]}).status_code == 302
    page = admin.get("/admin/audit?action=user.roles").get_data(as_text=True)
    rows = _rows(page)
    assert rows, page
    newest = rows[0]
    assert "役割を変更" in newest and "user.roles" not in newest
    assert "青梅 太郎" in newest  # who did it, by name
    assert f'<a href="/admin/users/{member_id}"' in page and "青梅 花子" in newest  # the object, linked
    assert "役割: 職員 → 審査員、職員" in newest
    assert not re.search(r"user \d+", page)


def test_filters_by_person_name_action_and_dates_and_pages(app) -> None:  # type: ignore[no-untyped-def]
    admin = login(app.test_client(), "tenant_admin")
    login(app.test_client(), "member")  # 青梅 花子 logs in: an auth.login entry under her name
    by_name = _rows(admin.get("/admin/audit?person=青梅花子&action=auth.login").get_data(as_text=True))
    assert by_name and all("青梅 花子" in row and "ログイン" in row for row in by_name)
    assert not any("青梅 太郎" in row for row in by_name)
    nobody = admin.get("/admin/audit?person=存在しない人").get_data(as_text=True)
    assert _rows(nobody) == [] and "0 件" in nobody
    today = today_tokyo().isoformat()  # the filter's days are Tokyo days
    assert _rows(admin.get(f"/admin/audit?date_from={today}&date_to={today}&person=花子").get_data(as_text=True))
    assert _rows(admin.get("/admin/audit?date_to=2000-01-01").get_data(as_text=True)) == []
    wrong = admin.get("/admin/audit?date_from=2027-04-02&date_to=2027-04-01")
    assert wrong.status_code == 400 and "終了日が開始日より前です。" in wrong.get_data(as_text=True)
    assert admin.get("/admin/audit?action=no.such_code").status_code == 400
    # Paging: 50 a page, the next page's link keeps the filter.
    for _ in range(26):
        login(app.test_client(), "member")
        login(app.test_client(), "tenant_admin")
    first = admin.get("/admin/audit?action=auth.login").get_data(as_text=True)
    assert len(_rows(first)) == 50 and 'rel="next"' in first
    link = re.search(r'href="(/admin/audit\?[^"]*)" rel="next"', first)
    assert link and "page=2" in link.group(1) and "action=auth.login" in link.group(1)


def test_excel_export_of_the_filtered_log(app) -> None:  # type: ignore[no-untyped-def]
    admin = login(app.test_client(), "tenant_admin")
    assert admin.post("/admin/users/invite", data={"email": "eq@ome.example.jp", "display_name": "=HYPERLINK(1)",
                                                   "roles": ["member"], "language": "ja"}).status_code == 302
    response = admin.get("/admin/audit.xlsx?action=user.invite")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["日時", "人", "操作", "対象", "変更前 → 変更後"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref and sheet[1][0].font.bold
    rows = list(sheet.iter_rows(min_row=2, values_only=False))
    assert rows and all(row[2].value == "利用者を招待" for row in rows)  # only the filtered action
    when, who, _action, obj, changes = (cell for cell in rows[0][:5])
    assert isinstance(when.value, datetime) and when.number_format == "yyyy-mm-dd hh:mm"
    assert who.value == "青梅 太郎"
    assert obj.value == "=HYPERLINK(1)" and obj.data_type == "s" and obj.quotePrefix  # text, never a formula
    assert "メールアドレス: — → eq@ome.example.jp" in changes.value
    assert sheet.column_dimensions["A"].width >= 16


def test_each_admin_sees_only_their_own_tenants_log(app) -> None:  # type: ignore[no-untyped-def]
    ome = login(app.test_client(), "tenant_admin")
    koto = login(app.test_client(), "other_admin")
    assert ome.post(f"/admin/users/{_member_id(app)}", data={"roles": ["member", "judge"]}).status_code == 302
    koto_page = koto.get("/admin/audit").get_data(as_text=True)
    assert "青梅 花子" not in koto_page and "青梅 太郎" not in koto_page
    koto_export = load_workbook(io.BytesIO(koto.get("/admin/audit.xlsx").data)).active
    cells = {str(c.value) for row in koto_export.iter_rows() for c in row if c.value}
    assert not any("青梅" in value for value in cells)
    # The person filter cannot reach across either: 江東区's admin searching 青梅's member finds nothing.
    assert _rows(koto.get("/admin/audit?person=花子").get_data(as_text=True)) == [] or \
        all("江東" in row for row in _rows(koto.get("/admin/audit?person=花子").get_data(as_text=True)))
    # TMG's operator sees TMG's log, as before: none of 青梅市's entries, and no user link (cannot manage users).
    operator = login(app.test_client(), "operator")
    tmg_page = operator.get("/admin/audit").get_data(as_text=True)
    assert not [row for row in _rows(tmg_page) if "青梅 花子" in row or "青梅 太郎" in row]
    assert 'href="/admin/users/' not in tmg_page
    assert KOTO != OME


def test_a_case_is_named_by_its_title_and_linked(app) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.casebook import make_case

    with app.app_context():
        case = make_case(OME, "member@ome.example.jp", title="窓口のオンライン予約")
        case_id = case.id
        db.session.commit()
        bind_tenant(None)
        db.session.remove()
    page = login(app.test_client(), "tenant_admin").get("/admin/audit?action=case.create").get_data(as_text=True)
    assert f'<a href="/cases/{case_id}">窓口のオンライン予約</a>' in page.replace(' lang="ja"', "")
    assert "事例を作成" in _rows(page)[0] and "青梅 花子" in _rows(page)[0]


def test_a_procurement_project_is_named_and_linked_only_where_the_viewer_may_see_it(app) -> None:  # type: ignore[no-untyped-def]
    from kernel.audit import resolve_objects
    from procurement.models import Project
    from tests.factories.tenants import user

    with app.app_context():
        bind_tenant(OME)
        project = db.session.scalars(select(Project).where(Project.status != "draft")).first()
        draft = db.session.scalars(select(Project).where(Project.status == "draft")).first()
        viewer = user("tenant_admin")
        pairs = [("procurement_project", str(project.id))] + (
            [("procurement_project", str(draft.id))] if draft is not None else [])
        named = resolve_objects(viewer, pairs)
        assert named[("procurement_project", str(project.id))] == (project.title, f"/procurement/{project.id}")
        if draft is not None and draft.organiser_tenant_id != OME:
            assert ("procurement_project", str(draft.id)) not in named  # a draft shows only to its organiser
        db.session.remove()
