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

from casebook import search
from casebook.demo import CORPUS

STAGES = ("idea", "pilot", "implemented", "spreading")
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

    # COPY FROM is refused on a table under (forced) row-level security, for the owner too: each
    # tenant's rows are copied into temporary tables, then INSERT … SELECT with that tenant bound
    # (the policy checks them), and the temporary tables are emptied for the next tenant.
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS _gen_cases (LIKE cases INCLUDING DEFAULTS) ON COMMIT DROP")
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS _gen_versions (LIKE case_versions INCLUDING DEFAULTS) ON COMMIT DROP")
    cur.execute("TRUNCATE _gen_cases, _gen_versions")
    columns = ("title, summary, problem, approach, outcomes, themes, tools, fiscal_year, cost_jpy, department, "
               "stage, search_vector")
    total = 0
    rebuild: list[tuple[str, str]] = []
    if per_tenant * len(tenant_codes) >= BULK_ROWS:
        # Inside the caller's transaction: nobody ever sees the tables without their indexes.
        cur.execute(_SECONDARY_INDEXES, (list(BULK_TABLES),))
        rebuild = list(cur.fetchall())
        for name, _definition in rebuild:
            cur.execute(f'DROP INDEX "{name}"')
    for code in tenant_codes:
        cur.execute("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, %s)",
                    (per_tenant,))
        ids = [r[0] for r in cur.fetchall()]
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
            entry_buf.write("\t".join([code, str(case_id), "1", *common, rank, str(rng.randint(0, 5))]) + "\n")
        for buf, statement in (
                (case_buf, f"COPY _gen_cases (tenant_id, id, {columns}, release_state) FROM STDIN"),
                (version_buf, "COPY _gen_versions (tenant_id, case_id, version, data, note) FROM STDIN"),
                (entry_buf, f"COPY casebook_entries (source_tenant_id, source_case_id, source_version, {columns}, "
                            "rank_vector, adoption_count) FROM STDIN")):
            buf.seek(0)
            cur.copy_expert(statement, buf)
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (code,))
        cur.execute("INSERT INTO cases SELECT * FROM _gen_cases")
        cur.execute("INSERT INTO case_versions SELECT * FROM _gen_versions")
        cur.execute("TRUNCATE _gen_cases, _gen_versions")
        total += len(ids)
    if rebuild:
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in rebuild:
            cur.execute(definition)
    cases = versions = entries = total
    cur.execute("SELECT set_config('app.tenant_id', '', true)")
    return {"cases": cases, "case_versions": versions, "casebook_entries": entries}
