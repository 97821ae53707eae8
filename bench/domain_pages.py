"""URLs of the domain pages for the benchmark, found in the generated data.

Each resolver returns a Page with path None (reported as not measured) when the module's tables
are not there, so the benchmark runs on whatever has landed.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bench.pages import Page
from bench.setup import BenchDatabase

# Words people search the casebook for (themes and tools of the sample corpus, and everyday terms).
SEARCH_TERMS = ("窓口", "電子申請", "RPA", "AI-OCR", "子育て", "オンライン", "キャッシュレス", "チャットボット",
                "保育", "ペーパーレス", "テレワーク", "生成AI", "介護", "防災", "住民票", "マイナンバー", "LINE",
                "ノーコード", "議事録", "問い合わせ", "業務改善", "税", "ごみ", "相談", "データ", "庁内",
                "手続", "予約", "職員", "削減")


def _exists(db: BenchDatabase, table: str) -> bool:
    return bool(db.query("SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0])


def _one(db: BenchDatabase, sql: str, params: tuple = ()) -> Any:  # type: ignore[type-arg]
    rows = db.query(sql, params)
    return rows[0][0] if rows else None


def judges(db: BenchDatabase, limit: int) -> list[tuple[str, str]]:
    """Generated judges assigned to the newest award programme (tenant, e-mail)."""
    if not _exists(db, "award_judges"):
        return []
    return [(t, e) for t, e in db.query(
        "SELECT u.tenant_id, u.email FROM award_judges j JOIN users u ON u.tenant_id = j.judge_tenant "
        "AND u.id = j.judge_user_id WHERE j.programme_id = (SELECT max(id) FROM award_programmes) "
        "ORDER BY u.tenant_id LIMIT %s", (limit,))]


def _scoring_path(db: BenchDatabase, submission: int, secret: str) -> str:
    """The judge's scoring page of a submission: /awards/judging/<programme>/<blind code>."""
    from flask import Flask

    from awards.blind import judge_code

    programme = _one(db, "SELECT programme_id FROM award_submissions WHERE id = %s", (submission,))
    app = Flask("bench")
    app.secret_key = secret
    with app.app_context():
        return f"/awards/judging/{programme}/{judge_code(submission)}"


def resolve(db: BenchDatabase, judge_tenants: list[str] | None = None, secret: str = "") -> list[Page]:
    pages = []
    if _exists(db, "casebook_entries"):
        pages.append(Page("casebook search", f"/casebook?q={quote('窓口')}", "member", "search"))
        entry = _one(db, "SELECT id FROM casebook_entries ORDER BY id OFFSET (SELECT count(*) / 2 "
                         "FROM casebook_entries) LIMIT 1")
        pages.append(Page("case page (casebook entry)", f"/casebook/{entry}" if entry else None, "member", "case",
                          "no casebook entry"))
    else:
        pages += [Page("casebook search", None, "member", "search", "casebook module not merged"),
                  Page("case page (casebook entry)", None, "member", "case", "casebook module not merged")]
    project = _one(db, "SELECT max(id) FROM procurement_projects") if _exists(db, "procurement_projects") else None
    pages.append(Page("procurement project page", f"/procurement/{project}" if project else None, "member",
                      "project", "procurement module not merged" if not _exists(db, "procurement_projects")
                      else "no procurement project"))
    submission = None
    if _exists(db, "award_submissions") and judge_tenants:
        submission = _one(db, "SELECT max(id) FROM award_submissions WHERE programme_id = "
                              "(SELECT max(id) FROM award_programmes) AND entrant_code <> ALL(%s)",
                          (judge_tenants,))
    pages.append(Page("judge's scoring page", _scoring_path(db, submission, secret) if submission else None,
                      "judge", "scoring", "awards module not merged" if not _exists(db, "award_submissions")
                      else "no assigned judge / submission"))
    pages.append(Page("API search", f"/api/v1/casebook/search?q={quote('電子申請')}"
                      if _exists(db, "casebook_entries") else None, "token", "api_search",
                      "casebook module not merged"))
    return pages


def search_spec(db: BenchDatabase) -> dict[str, Any] | None:
    """Search URLs over many terms and a matcher for the search statement(s); None without a casebook."""
    if not _exists(db, "casebook_entries"):
        return None
    return {"paths": [f"/casebook?q={quote(term)}" for term in SEARCH_TERMS],
            "match": lambda sql: "casebook_entries" in sql or "casebook_search_rows" in sql,
            "cases": _one(db, "SELECT count(*) FROM casebook_entries")}


SEARCH_RLS_NAME = "casebook search (the shared casebook; the session check is tenant-owned)"


def rls_specs(db: BenchDatabase) -> list[tuple[str, str]]:
    """(name, page path) of the pages whose statements are compared with and without RLS."""
    specs = [("dashboard (users, cases, notifications: tenant-owned)", "/")]
    if _exists(db, "cases"):
        specs.append(("own cases list (cases: tenant-owned)", "/cases"))
        specs.append((SEARCH_RLS_NAME, f"/casebook?q={quote('窓口')}"))
    return specs
