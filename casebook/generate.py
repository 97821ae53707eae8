"""Synthetic cases for the benchmarks (issue 7): COPY straight into cases, versions and the casebook.

``generate(cur, tenant_codes, per_tenant, rng)`` runs on a psycopg2 cursor of an owner connection
inside one transaction. Each case is built from sentence fragments of the sample corpus, its
search vector computed once from a small pool of analysed fragments (SudachiPy runs on the pool,
not on every row), and every generated case is also published in the casebook so that search is
measured at full size.
"""
from __future__ import annotations

import io
import json
import random
import re
from typing import Any

from psycopg2.extras import execute_values

from casebook import search
from casebook.demo import CORPUS

STAGES = ("idea", "pilot", "implemented", "spreading")
ADOPTION_STATES = ("planned", "in_progress", "done")
QUESTIONS = ("導入にあたって条例や要綱の改正は必要でしたか。", "ベンダーとの契約形態と年間の運用費用を教えてください。",
             "職員向けの研修はどのように実施されましたか。", "効果測定の方法と、測定した時期を教えてください。",
             "個人情報の取扱いについて、審議会への諮問は行いましたか。")
ANSWERS = ("はい、要綱を改正しました。詳細は添付資料をご覧ください。", "単年度契約で、運用費は年額約300万円です。",
           "各課の担当者向けに半日の研修を2回実施しました。", "導入前後3か月の処理時間を比較しました。")
ATTACHMENT_EVERY = 5  # one case in five carries a (small) document
PDF_STUB = b"%PDF-1.4\n% generated for the benchmarks\n%%EOF\n"
# Maintaining the indexes (GIN above all) row by row dominates a bulk load; building them once at
# the end is far cheaper. Indexes that back a constraint (primary keys) stay.
BULK_ROWS = 5000
BULK_TABLES = ("cases", "casebook_entries")
_SECONDARY_INDEXES = """
    SELECT i.indexname, i.indexdef FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                      WHERE c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass)
"""


def _pool() -> dict[str, list[Any]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences: dict[str, list[str]] = {k: [] for k in ("summary", "problem", "approach", "outcomes")}
    for row in rows:
        for key in sentences:
            sentences[key].extend(s + "。" for s in re.split(r"。", row[key]) if s.strip())
    return {"titles": [r["title"] for r in rows], "themes": sorted({t for r in rows for t in r["themes"]}),
            "tools": sorted({t for r in rows for t in r["tools"]}),
            "departments": sorted({r["department"] for r in rows}), **sentences}


def _esc(value: str) -> str:
    """A value for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _array(items: list[str]) -> str:
    return "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"


def generate(cur: Any, tenant_codes: list[str], per_tenant: int, rng: random.Random) -> dict[str, int]:
    """Write ``per_tenant`` cases per tenant (+ a first version each + a published casebook copy)."""
    pool = _pool()
    piece_cache: dict[tuple[str, str, int], str] = {}

    def piece(weight: str, text: str, base: int) -> str:
        """The tsvector entries of one fragment, positions offset by its field's base (cached)."""
        key = (weight, text, base)
        if key not in piece_cache:
            entries = []
            for pos, word in enumerate(search._indexed(text), start=base):
                for lexeme in word:
                    entries.append(f"{search._quote(lexeme)}:{min(pos, search.MAX_POSITION)}{weight}")
            piece_cache[key] = " ".join(entries)
        return piece_cache[key]

    def vector(parts: list[tuple[str, str]]) -> str:
        # tsvector input merges repeated lexemes, so cached pieces are simply concatenated.
        return " ".join(piece(weight, text, 1 + i * 600) for i, (weight, text) in enumerate(parts))

    # COPY FROM is refused on a table whose row-level security applies to the current user. Inside
    # the owner's bulk-load window (portal.generate: NO FORCE for the transaction) it does not, and
    # the rows are copied straight in. Otherwise each tenant's rows are copied into temporary
    # tables and moved with INSERT … SELECT under that tenant's binding (the policy checks them).
    cur.execute("""SELECT bool_and(NOT c.relforcerowsecurity AND pg_get_userbyid(c.relowner) = current_user)
                   FROM pg_class c WHERE c.oid IN ('cases'::regclass, 'case_versions'::regclass)""")
    direct = bool(cur.fetchone()[0])
    if not direct:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS _gen_cases (LIKE cases INCLUDING DEFAULTS) ON COMMIT DROP")
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS _gen_versions (LIKE case_versions INCLUDING DEFAULTS) "
                    "ON COMMIT DROP")
        cur.execute("TRUNCATE _gen_cases, _gen_versions")
    case_table, version_table = ("cases", "case_versions") if direct else ("_gen_cases", "_gen_versions")
    columns = ("title, summary, problem, approach, outcomes, themes, tools, fiscal_year, cost_jpy, department, "
               "stage, search_vector")
    total = attachment_count = 0
    rebuild: list[tuple[str, str]] = []
    if per_tenant * len(tenant_codes) >= BULK_ROWS:
        # Inside the caller's transaction: nobody ever sees the tables without their indexes.
        cur.execute(_SECONDARY_INDEXES, (list(BULK_TABLES),))
        rebuild = list(cur.fetchall())
        for name, _definition in rebuild:
            cur.execute(f'DROP INDEX "{name}"')
    users: dict[str, list[tuple[int, str]]] = {}
    entries_made: list[tuple[int, str, int]] = []  # (entry id, source tenant, adoption count)
    for code in tenant_codes:
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (code,))
        cur.execute("SELECT id, display_name FROM users WHERE tenant_id = %s ORDER BY id LIMIT 4", (code,))
        users[code] = [(r[0], r[1]) for r in cur.fetchall()]
        cur.execute("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, %s)",
                    (per_tenant,))
        ids = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT nextval(pg_get_serial_sequence('casebook_entries', 'id')) FROM generate_series(1, %s)",
                    (per_tenant,))
        entry_ids = [r[0] for r in cur.fetchall()]
        attachments: list[tuple[Any, ...]] = []
        case_buf, version_buf, entry_buf = io.StringIO(), io.StringIO(), io.StringIO()
        for n, case_id in enumerate(ids):
            base_title = rng.choice(pool["titles"])
            title = f"{base_title}（{n + 1}）"
            problem, approach = rng.sample(pool["problem"], 2), rng.sample(pool["approach"], 2)
            data = {
                "title": title, "summary": rng.choice(pool["summary"]), "problem": "".join(problem),
                "approach": "".join(approach), "outcomes": rng.choice(pool["outcomes"]),
                "themes": rng.sample(pool["themes"], 2), "tools": rng.sample(pool["tools"], 1),
                "fiscal_year": rng.randint(2018, 2026), "cost_jpy": rng.randrange(0, 50_000_000, 1000),
                "department": rng.choice(pool["departments"]), "stage": rng.choice(STAGES),
            }
            # Every fragment (a corpus sentence, a theme) is analysed once and cached: the title's
            # number is not worth a lexeme, and no row ever calls SudachiPy on new text.
            strong = [("A", base_title), ("B", data["summary"]), *[("B", t) for t in data["themes"]],
                      *[("B", t) for t in data["tools"]]]
            body = [*[("C", t) for t in problem], *[("C", t) for t in approach], ("C", data["outcomes"]),
                    ("C", data["department"])]
            tsv = _esc(vector(strong + body))
            rank = _esc(vector(strong))
            common = [_esc(title), _esc(data["summary"]), _esc(data["problem"]), _esc(data["approach"]),
                      _esc(data["outcomes"]), _esc(_array(data["themes"])), _esc(_array(data["tools"])),
                      str(data["fiscal_year"]), str(data["cost_jpy"]), _esc(data["department"]), data["stage"], tsv]
            case_buf.write("\t".join([code, str(case_id), *common, "approved"]) + "\n")
            version_buf.write("\t".join([code, str(case_id), "1", _esc(json.dumps(data, ensure_ascii=False)),
                                         "generated"]) + "\n")
            adoptions = min(rng.randint(0, 5), len(tenant_codes) - 1)
            entry_buf.write("\t".join([str(entry_ids[n]), code, str(case_id), "1", *common, rank, str(adoptions)])
                            + "\n")
            entries_made.append((entry_ids[n], code, adoptions))
            if n % ATTACHMENT_EVERY == 0:
                attachments.append((code, case_id, f"資料_{n + 1}.pdf", "application/pdf", len(PDF_STUB), PDF_STUB))
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (code,))
        for buf, statement in (
                (case_buf, f"COPY {case_table} (tenant_id, id, {columns}, release_state) FROM STDIN"),
                (version_buf, f"COPY {version_table} (tenant_id, case_id, version, data, note) FROM STDIN"),
                (entry_buf, f"COPY casebook_entries (id, source_tenant_id, source_case_id, source_version, {columns}, "
                            "rank_vector, adoption_count) FROM STDIN")):
            buf.seek(0)
            cur.copy_expert(statement, buf)
        if not direct:
            cur.execute("INSERT INTO cases SELECT * FROM _gen_cases")
            cur.execute("INSERT INTO case_versions SELECT * FROM _gen_versions")
            cur.execute("TRUNCATE _gen_cases, _gen_versions")
        # Attachments are few and small: a plain multi-row INSERT works with or without FORCE.
        execute_values(cur, "INSERT INTO case_attachments (tenant_id, case_id, filename, content_type, size, data) "
                            "VALUES %s", attachments, page_size=1000)
        attachment_count += len(attachments)
        total += len(ids)
    if rebuild:
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in rebuild:
            cur.execute(definition)
    adoption_count, question_count = _adoptions_and_questions(cur, tenant_codes, users, entries_made, rng)
    cases = versions = entries = total
    cur.execute("SELECT set_config('app.tenant_id', '', true)")
    return {"cases": cases, "case_versions": versions, "casebook_entries": entries,
            "case_attachments": attachment_count, "casebook_adoptions": adoption_count,
            "casebook_questions": question_count, "casebook_answers": question_count}


def _adoptions_and_questions(cur: Any, tenant_codes: list[str], users: dict[str, list[tuple[int, str]]],
                             entries: list[tuple[int, str, int]], rng: random.Random) -> tuple[int, int]:
    """Adoptions matching each entry's adoption count (by other municipalities), and a question with its
    answer on one entry in eight. These tables carry row-level security of their own, which refuses
    COPY FROM: multi-row INSERTs instead (a few rows per case, not the bulk of the load)."""
    adoption_rows: list[tuple[Any, ...]] = []
    asked: list[tuple[int, str]] = []
    for position, (entry_id, source, count) in enumerate(entries):
        others = [c for c in rng.sample(tenant_codes, min(len(tenant_codes), count + 1)) if c != source][:count]
        for adopter in others:
            status = rng.choice(ADOPTION_STATES)
            outcome = "窓口の待ち時間が短くなった。" if status == "done" else ""
            adoption_rows.append((entry_id, adopter, status, outcome))
        if position % 8 == 0:
            asked.append((entry_id, source))
    question_rows: list[tuple[Any, ...]] = []
    answer_rows: list[tuple[Any, ...]] = []
    cur.execute("SELECT nextval(pg_get_serial_sequence('casebook_questions', 'id')) FROM generate_series(1, %s)",
                (len(asked),))
    question_ids = [r[0] for r in cur.fetchall()]
    for question_id, (entry_id, source) in zip(question_ids, asked, strict=True):
        askers = [c for c in tenant_codes if c != source and users.get(c)]
        if not askers or not users.get(source):
            continue
        asker = rng.choice(askers)
        asker_id, asker_name = rng.choice(users[asker])
        answerer_id, answerer_name = rng.choice(users[source])
        question_rows.append((question_id, entry_id, asker, asker_id, asker_name, rng.choice(QUESTIONS)))
        answer_rows.append((question_id, source, answerer_id, answerer_name, rng.choice(ANSWERS)))
    # The policies check that the writer is the adopter / asker / answerer: one tenant binding each.
    for statement, rows, writer_column in (
            ("INSERT INTO casebook_adoptions (entry_id, adopter_tenant_id, status, outcome) VALUES %s",
             adoption_rows, 1),
            ("INSERT INTO casebook_questions (id, entry_id, asker_tenant_id, asker_user_id, asker_name, body) "
             "VALUES %s", question_rows, 2),
            ("INSERT INTO casebook_answers (question_id, answerer_tenant_id, answerer_user_id, answerer_name, body) "
             "VALUES %s", answer_rows, 1)):
        by_tenant: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_tenant.setdefault(row[writer_column], []).append(row)
        for code, tenant_rows in by_tenant.items():
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (code,))
            execute_values(cur, statement, tenant_rows, page_size=2000)
    return len(adoption_rows), len(question_rows)
