"""Benchmark data for the awards: one programme, entries per tenant, submissions, judges and scores.

Called by the ops engineer's ``flask demo generate`` (after casebook and procurement) with a psycopg2
cursor of the owner inside one transaction. RLS is forced for the owner too, so each tenant's rows
are written after ``set_config('app.tenant_id', …, true)``; everything is written with COPY.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from devtools.generate import copy_rows, take_ids

SUBMITTED_SHARE = 0.6
MAX_JUDGES = 20
CATEGORIES = ("行政サービス部門", "業務改革部門", "デジタル人材部門")
CRITERIA = (("効果", 3), ("横展開のしやすさ", 2), ("独自性", 1))
THEMES = ("電子申請", "RPA", "AI-OCR", "窓口DX", "キャッシュレス", "オープンデータ", "テレワーク", "生成AI")


def _bind(cur: Any, tenant: str) -> None:
    cur.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))


def generate(cur: Any, tenant_codes: list[str], per_tenant: int, rng: random.Random) -> dict[str, int]:
    """Write one judged programme with ``per_tenant`` entries per tenant; returns counts per table."""
    now = datetime.now(UTC).replace(microsecond=0)
    cur.execute(
        "INSERT INTO award_programmes (fiscal_year, title, description, entry_opens_at, entry_closes_at, "
        "judging_opens_at, judging_closes_at, blind, comment_mode, has_final, stage) "
        "VALUES (%s, %s, '', %s, %s, %s, %s, true, 'optional', true, 'screening') RETURNING id",
        (now.year if now.month >= 4 else now.year - 1, f"区市町村DXアワード（生成データ {now:%Y%m%d%H%M%S}）",
         now - timedelta(days=90), now - timedelta(days=30), now - timedelta(days=29), now + timedelta(days=30)))
    programme_id = cur.fetchone()[0]
    category_ids = take_ids(cur, "award_categories", len(CATEGORIES))
    copy_rows(cur, "award_categories", ("id", "programme_id", "name", "position"),
          [(cid, programme_id, name, i) for i, (cid, name) in enumerate(zip(category_ids, CATEGORIES, strict=True))])
    criterion_ids = take_ids(cur, "award_criteria", len(CRITERIA))
    copy_rows(cur, "award_criteria", ("id", "programme_id", "name", "weight", "scale_min", "scale_max", "position"),
          [(cid, programme_id, name, w, 1, 5, i)
           for i, (cid, (name, w)) in enumerate(zip(criterion_ids, CRITERIA, strict=True))])
    counts = {"award_programmes": 1, "award_categories": len(CATEGORIES), "award_criteria": len(CRITERIA),
              "award_entries": 0, "award_submissions": 0, "award_judges": 0, "award_score_sheets": 0,
              "award_scores": 0}
    submissions: list[tuple[Any, ...]] = []
    judges: list[tuple[str, int, str]] = []
    reference = 0
    for tenant in tenant_codes:
        _bind(cur, tenant)
        cur.execute("SELECT u.id, u.display_name, EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = u.tenant_id "
                    "AND m.user_id = u.id AND m.role = 'judge') FROM users u WHERE u.tenant_id = %s ORDER BY u.id",
                    (tenant,))
        users = cur.fetchall()
        if not users:
            continue
        judges.extend((tenant, uid, name) for uid, name, is_judge in users if is_judge)
        entry_ids = take_ids(cur, "award_entries", per_tenant)
        rows = []
        for entry_id in entry_ids:
            theme = rng.choice(THEMES)
            submitted = rng.random() < SUBMITTED_SHARE
            category = rng.choice(category_ids)
            fields = (f"{theme}による業務改善 {entry_id}", f"{theme}を導入し手続を見直した。",
                      "職員の負担が大きかった。", f"{theme}の導入と業務フローの再設計。", f"{theme}（クラウド）",
                      f"年間{rng.randint(100, 5000)}時間の削減", "現場職員と一緒に設計した。")
            submission_id = None
            if submitted:
                reference += 1
                submission_id = take_ids(cur, "award_submissions", 1)[0]
                submissions.append((submission_id, programme_id, category, reference, tenant, entry_id, *fields,
                                    now - timedelta(days=40)))
            rows.append((tenant, entry_id, programme_id, category, *fields, "submitted" if submitted else "draft",
                         users[0][0], submission_id, now - timedelta(days=40) if submitted else None))
        counts["award_entries"] += copy_rows(cur, "award_entries", (
            "tenant_id", "id", "programme_id", "category_id", "title", "summary", "background", "activities",
            "system", "effects", "ingenuity", "status", "created_by", "submission_id", "submitted_at"), rows,
            checked=True)
    _bind(cur, "")
    counts["award_submissions"] = copy_rows(cur, "award_submissions", (
        "id", "programme_id", "category_id", "reference_no", "entrant_code", "entry_id", "title", "summary",
        "background", "activities", "system", "effects", "ingenuity", "submitted_at"), submissions)
    counts.update(_judging(cur, programme_id, judges[:MAX_JUDGES], submissions, category_ids, criterion_ids, rng,
                           now))
    return counts


def _judging(cur: Any, programme_id: int, judges: list[tuple[str, int, str]], submissions: list[tuple[Any, ...]],
             category_ids: list[int], criterion_ids: list[int], rng: random.Random, now: datetime) -> dict[str, int]:
    """Every judge assigned to every category, scoring every entry but their own municipality's."""
    copy_rows(cur, "award_judge_pool", ("judge_tenant", "judge_user_id", "display_name"), [
        row for row in judges if not _pooled(cur, row[0], row[1])])
    judge_ids = take_ids(cur, "award_judges", len(judges))
    copy_rows(cur, "award_judges", ("id", "programme_id", "judge_tenant", "judge_user_id", "display_name"),
          [(jid, programme_id, t, u, n) for jid, (t, u, n) in zip(judge_ids, judges, strict=True)])
    copy_rows(cur, "award_assignments", ("judge_id", "category_id"), [(j, c) for j in judge_ids for c in category_ids])
    sheets: list[tuple[Any, ...]] = []
    scores: list[tuple[Any, ...]] = []
    pairs = [(jid, tenant, s) for jid, (tenant, _u, _n) in zip(judge_ids, judges, strict=True)
             for s in submissions if s[4] != tenant]
    sheet_ids = take_ids(cur, "award_score_sheets", len(pairs))
    for sheet_id, (jid, _tenant, submission) in zip(sheet_ids, pairs, strict=True):
        leniency = (jid % 3) - 1  # some judges harsh, some lenient
        sheets.append((sheet_id, jid, submission[0], "screening", True, now - timedelta(days=10)))
        scores.extend((sheet_id, cid, max(1, min(5, rng.randint(2, 4) + leniency))) for cid in criterion_ids)
    copy_rows(cur, "award_score_sheets", ("id", "judge_id", "submission_id", "stage", "is_final", "submitted_at"),
              sheets)
    copy_rows(cur, "award_scores", ("sheet_id", "criterion_id", "value"), scores)
    return {"award_judges": len(judge_ids), "award_score_sheets": len(sheets), "award_scores": len(scores)}


def _pooled(cur: Any, tenant: str, user_id: int) -> bool:
    cur.execute("SELECT 1 FROM award_judge_pool WHERE judge_tenant = %s AND judge_user_id = %s", (tenant, user_id))
    return cur.fetchone() is not None
