"""`flask casebook import`, Excel export of a search and Excel import of cases, the benchmark generator."""
from __future__ import annotations

import io
import json
import random

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text

from casebook import excel, text_words
from casebook.models import Case
from kernel.extensions import db
from tenants.context import bind_tenant


def _line(**over) -> str:  # type: ignore[no-untyped-def]
    row = {"external_id": "imp-001", "tenant_code": "134210", "title": "小笠原村の遠隔相談", "summary": "概要",
           "problem": "課題", "approach": "取組", "outcomes": "効果", "themes": ["遠隔"], "tools": ["Web会議"],
           "fiscal_year": 2024, "cost_jpy": 0, "department": "総務課"}
    row.update(over)
    return json.dumps(row, ensure_ascii=False)


def _count(app, model, tenant: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(tenant)
        value = int(db.session.scalar(select(func.count()).select_from(model)) or 0)
        db.session.remove()
    return value


def test_cli_import_is_idempotent_publishes_and_reports_bad_lines(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    before = _count(app, Case, "134210")
    good = tmp_path / "good.jsonl"
    good.write_text(_line() + "\n" + _line(external_id="imp-002", title="二件目") + "\n", encoding="utf-8")
    try:
        first = runner.invoke(args=["casebook", "import", str(good), "--publish"])
        assert first.exit_code == 0, first.output
        assert "2 created" in first.output and "2 published" in first.output
        again = runner.invoke(args=["casebook", "import", str(good), "--publish"])
        assert again.exit_code == 0 and "2 unchanged" in again.output and "0 published" in again.output
        assert _count(app, Case, "134210") == before + 2
        bad = tmp_path / "bad.jsonl"
        bad.write_text(_line(external_id="imp-003") + "\n" + _line(external_id="imp-004", fiscal_year="去年")
                       + "\n{broken\n", encoding="utf-8")
        failed = runner.invoke(args=["casebook", "import", str(bad)])
        assert failed.exit_code != 0 and "2行目" in failed.output
        assert _count(app, Case, "134210") == before + 2  # nothing of the bad file was imported
        unknown = tmp_path / "unknown.jsonl"
        unknown.write_text(_line(tenant_code="999999"), encoding="utf-8")
        assert "1行目" in runner.invoke(args=["casebook", "import", str(unknown)]).output
    finally:
        # The CLI commits as the owner: clean up what it wrote (the unit database is shared).
        with app.app_context():
            from kernel.db_admin import owner_session

            with owner_session():
                bind_tenant("134210")
                db.session.execute(text(
                    "DELETE FROM casebook_submissions WHERE source_tenant_id = '134210' AND source_case_id IN "
                    "(SELECT id FROM cases WHERE tenant_id = '134210' AND external_id LIKE 'imp-%')"))
                db.session.execute(text("DELETE FROM casebook_entries WHERE external_id LIKE 'imp-%'"))
                db.session.execute(text("DELETE FROM cases WHERE tenant_id = '134210' AND external_id LIKE 'imp-%'"))
                # and the stored words of the texts it published (tests/casebook/test_text_words_purge.py expects
                # the unit database to hold only the words of published texts)
                text_words.purge_unused(db.session.connection().connection.cursor())


def test_excel_export_of_a_search(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    response = client.get("/casebook/export.xlsx?q=窓口")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == "タイトル" and len(rows) > 2
    assert any(r[4] == "市民課窓口における「書かない窓口」の導入" for r in rows[1:])


def _workbook(rows: list[list]) -> bytes:  # type: ignore[type-arg]
    wb = Workbook()
    ws = wb.active
    ws.append([h for h, _n in excel.COLUMNS])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_import_validates_every_row_and_is_all_or_nothing(client, login_as, app) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    template = client.get("/cases/import-template.xlsx")
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.data)).active["A1"].value == "タイトル"
    before = _count(app, Case, "132055")
    bad = _workbook([["良い行", "概要"], ["", "タイトルなし"], ["年度が変", "", "", "", "", "", "", "来年"]])
    response = client.post("/cases/import", data={"file": (io.BytesIO(bad), "cases.xlsx")},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    report = body.split('data-testid="import-report"', 1)[1].split("</table>", 1)[0]
    rows = [r for r in report.split("<tr>")[2:]]  # one row per problem: row, column, value, message
    assert [r.split("</td>")[0].removeprefix("<td>") for r in rows] == ["3", "4"]
    assert "A（タイトル）" in rows[0] and "タイトルを入力してください。" in rows[0]
    assert "H（年度）" in rows[1] and "来年" in rows[1] and "整数で入力してください。" in rows[1]
    assert _count(app, Case, "132055") == before
    junk = client.post("/cases/import", data={"file": (io.BytesIO(b"not excel"), "cases.xlsx")},
                       content_type="multipart/form-data")
    assert junk.status_code == 400 and "読めません" in junk.get_data(as_text=True)
    good = _workbook([["Excel から一件目", "概要", "", "", "", "窓口改革、BPR", "", 2024, 1000],
                      ["Excel から二件目", "", "", "", "", "", "", None, None, "", "pilot"]])
    assert client.post("/cases/import", data={"file": (io.BytesIO(good), "cases.xlsx")},
                       content_type="multipart/form-data").status_code == 302
    assert _count(app, Case, "132055") == before + 2


@pytest.mark.parametrize("window", [False, True], ids=["forced-rls", "bulk-load-window"])
def test_generator_writes_searchable_cases_with_copy(app, monkeypatch, window) -> None:  # type: ignore[no-untyped-def]
    """Runs as the owner (like `flask demo generate`) in a transaction that is rolled back; with the
    ops' bulk-load window (NO FORCE for the transaction) it copies straight into the tables."""
    import psycopg2

    from casebook import search
    from devtools.generate import casebook as generator
    from devtools.generate.casebook import generate

    monkeypatch.setattr(generator, "BULK_ROWS", 1)  # exercise the bulk path (GIN indexes rebuilt once)

    url = app.config["DATABASE_OWNER_URL"].replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(url)
    try:
        cur = conn.cursor()
        if window:
            cur.execute("ALTER TABLE cases NO FORCE ROW LEVEL SECURITY")
            cur.execute("ALTER TABLE case_versions NO FORCE ROW LEVEL SECURITY")
        cur.execute("SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s)", (list(generator.BULK_TABLES),))
        indexes_before = cur.fetchone()[0]
        counts = generate(cur, ["131016", "132055"], 3, random.Random(7))
        assert {k: counts[k] for k in ("cases", "case_versions", "casebook_entries", "case_attachments")} == {
            "cases": 6, "case_versions": 6, "casebook_entries": 6, "case_attachments": 2}
        assert counts["casebook_questions"] == counts["casebook_answers"]
        # adoptions agree with the entries' counts and are never by the originating municipality
        cur.execute("SELECT set_config('app.tenant_id', '131016', true)")  # adoptions are read by any tenant
        cur.execute("SELECT coalesce(sum(adoption_count), 0) FROM casebook_entries WHERE title LIKE '%（_）'")
        assert cur.fetchone()[0] == counts["casebook_adoptions"]
        cur.execute("SELECT count(*) FROM casebook_adoptions a JOIN casebook_entries e ON e.id = a.entry_id "
                    "WHERE e.title LIKE '%（_）' AND a.adopter_tenant_id <> e.source_tenant_id")
        assert cur.fetchone()[0] == counts["casebook_adoptions"]
        cur.execute("SELECT set_config('app.tenant_id', '132055', true)")
        cur.execute("SELECT filename, size FROM case_attachments a JOIN cases c ON c.tenant_id = a.tenant_id "
                    "AND c.id = a.case_id WHERE c.title LIKE '%（1）'")
        assert [(name, size > 0) for name, size in cur.fetchall()] == [("資料_1.pdf", True)]
        cur.execute("SELECT set_config('app.tenant_id', '131016', true)")
        cur.execute("SELECT count(*) FROM cases WHERE tenant_id = '131016' AND title LIKE '%（_）'")
        assert cur.fetchone()[0] == 3
        cur.execute("SELECT count(*) FROM case_versions v JOIN cases c ON c.tenant_id = v.tenant_id "
                    "AND c.id = v.case_id WHERE c.tenant_id = '131016' AND c.title LIKE '%（_）'")
        assert cur.fetchone()[0] == 3
        cur.execute("SELECT id, title FROM casebook_entries WHERE source_tenant_id = '131016' "
                    "AND title LIKE '%（3）'")
        entry_id, title = cur.fetchone()
        tsq, _terms = search.build_tsquery(title.split("（")[0])
        cur.execute("SELECT count(*) FROM casebook_entries WHERE id = %s AND search_vector @@ CAST(%s AS tsquery)",
                    (entry_id, tsq))
        assert cur.fetchone()[0] == 1
        # versions and casebook copies are made in SQL from the copied cases: the same content
        cur.execute("SELECT count(*), count(*) FILTER (WHERE v.data = jsonb_build_object("
                    "'title', c.title, 'summary', c.summary, 'problem', c.problem, 'approach', c.approach, "
                    "'outcomes', c.outcomes, 'themes', c.themes, 'tools', c.tools, 'fiscal_year', c.fiscal_year, "
                    "'cost_jpy', c.cost_jpy, 'department', c.department, 'stage', c.stage) AND v.note = 'generated' "
                    "AND e.title = c.title AND e.search_vector = c.search_vector AND e.source_version = 1), "
                    "count(*) FILTER (WHERE e.rank_vector <> '' AND strip(e.rank_vector) = "
                    "strip(ts_filter(c.search_vector, '{a,b}')) AND ts_filter(e.rank_vector, '{c,d}') = '') "
                    "FROM cases c JOIN case_versions v ON v.tenant_id = c.tenant_id AND v.case_id = c.id "
                    "JOIN casebook_entries e ON e.source_tenant_id = c.tenant_id AND e.source_case_id = c.id "
                    "WHERE c.tenant_id = '131016' AND c.title LIKE '%（_）'")
        assert cur.fetchone() == (3, 3, 3)
        cur.execute("SELECT to_tsvector('simple', '') = rank_vector, rank_vector @@ CAST(%s AS tsquery) "
                    "FROM casebook_entries WHERE id = %s", (tsq, entry_id))
        assert cur.fetchone() == (False, True)  # the title's terms are in the rank vector
        cur.execute("SELECT count(*) FROM pg_indexes WHERE tablename = ANY(%s)", (list(generator.BULK_TABLES),))
        assert cur.fetchone()[0] == indexes_before  # every index dropped for the load is back
    finally:
        conn.rollback()
        conn.close()
