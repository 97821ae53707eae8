"""Synthetic cases for the benchmarks (issue 7): cases by COPY, their versions and casebook copies in SQL.

``generate(cur, tenant_codes, per_tenant, rng)`` runs on a psycopg2 cursor of an owner connection
inside one transaction. Each case is built from sentence fragments of the sample corpus, its search
vector assembled from a small pool of analysed fragments (SudachiPy runs on the pool, not on every
row), and every generated case is also published in the casebook so that search is measured at full
size.

Only the cases travel from Python. Their first version (``jsonb_build_object`` of the same fields)
and their casebook copy (the same search vector; its rank vector is the A/B-weighted part of it,
``ts_filter``) are made by INSERT … SELECT from the rows just copied: PostgreSQL parses, tries to
compress and TOASTs each search vector once instead of twice, and the text crosses the socket once.

Python builds the next municipality's rows in a second thread while PostgreSQL loads the current
one (psycopg2 releases the GIL while it waits): on two cores, both are busy.

The published copies' texts get their stored words too (``casebook_text_words``, what the search cuts its snippets
and marks its titles from): each distinct text once, made from its pieces' analysis (``text_words.JoinedTexts``),
written with the municipality that first uses it, under the writers' lock (``text_words.HOLD_FOR_WRITING``).
"""
from __future__ import annotations

import json
import queue
import random
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from casebook import search, text_words
from devtools.demo.casebook import CORPUS
from devtools.generate import copy_text, take_ids

STAGES = ("idea", "pilot", "implemented", "spreading")
ADOPTION_STATES = ("planned", "in_progress", "done")
QUESTIONS = ("導入にあたって条例や要綱の改正は必要でしたか。", "ベンダーとの契約形態と年間の運用費用を教えてください。",
             "職員向けの研修はどのように実施されましたか。", "効果測定の方法と、測定した時期を教えてください。",
             "個人情報の取扱いについて、審議会への諮問は行いましたか。")
ANSWERS = ("はい、要綱を改正しました。詳細は添付資料をご覧ください。", "単年度契約で、運用費は年額約300万円です。",
           "各課の担当者向けに半日の研修を2回実施しました。", "導入前後3か月の処理時間を比較しました。")
DONE_OUTCOME = "窓口の待ち時間が短くなった。"
ATTACHMENT_EVERY = 5  # one case in five carries a (small) document
QUESTION_EVERY = 8  # one casebook entry in eight gets a question (and its answer)
PDF_STUB = b"%PDF-1.4\n% generated for the benchmarks\n%%EOF\n"
# Maintaining the indexes (GIN above all) row by row dominates a bulk load; building them once at
# the end is far cheaper. Indexes that back a constraint (primary keys) stay.
BULK_ROWS = 5000
# casebook_search_rows is filled by the triggers on casebook_entries (one INSERT per statement); its GIN
# indexes are partitioned ones: dropping the parent's drops the partitions', building it again builds them.
BULK_TABLES = ("cases", "casebook_entries", "casebook_search_rows")
PREFETCH = 4  # municipalities built ahead of the one PostgreSQL is loading
_SECONDARY_INDEXES = """
    SELECT i.indexname, i.indexdef FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                      WHERE c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass)
"""
CONTENT_COLUMNS = ("title", "summary", "problem", "approach", "outcomes", "themes", "tools", "fiscal_year", "cost_jpy",
                   "department", "stage", "search_vector")
# The first version holds the same fields as the case (generated cases have no other version).
VERSION_SQL = """
    INSERT INTO case_versions (tenant_id, case_id, version, data, note, created_at)
    SELECT tenant_id, id, 1, jsonb_build_object(
               'title', title, 'summary', summary, 'problem', problem, 'approach', approach, 'outcomes', outcomes,
               'themes', themes, 'tools', tools, 'fiscal_year', fiscal_year, 'cost_jpy', cost_jpy,
               'department', department, 'stage', stage), 'generated', updated_at
    FROM cases WHERE tenant_id = %s AND id = ANY(%s::bigint[]) ORDER BY id
"""
# The rank vector holds title, summary, themes and tools: the A and B weights of the search vector,
# at the same positions (the strong fields come first), so ts_filter gives it exactly.
ENTRY_SQL = f"""
    INSERT INTO casebook_entries (id, source_tenant_id, source_case_id, source_version,
                                  {", ".join(CONTENT_COLUMNS)}, rank_vector, adoption_count,
                                  published_at, updated_at)
    SELECT p.entry_id, c.tenant_id, c.id, 1, {", ".join("c." + col for col in CONTENT_COLUMNS)},
           ts_filter(c.search_vector, '{{a,b}}'), p.adoptions, c.updated_at, c.updated_at
    FROM unnest(%s::bigint[], %s::bigint[], %s::int[]) AS p(case_id, entry_id, adoptions)
    JOIN cases c ON c.tenant_id = %s AND c.id = p.case_id
    ORDER BY p.entry_id
"""  # noqa: S608 - the column names are this module's constants
# Generated cases are spread over their fiscal year (April to March, never after the day of the load),
# so that "newest first" and "most recently updated" orders are those of a real casebook.
_LOAD_DAY = date.today()


def _dates(rng: random.Random, fiscal_year: int) -> tuple[str, str]:
    """(created_at, updated_at) in Japan time within the fiscal year; updated 0–120 days after created."""
    start = date(fiscal_year, 4, 1)
    last = min(date(fiscal_year + 1, 3, 31), _LOAD_DAY)
    span = max(0, (last - start).days)
    created = start + timedelta(days=rng.randint(0, span))
    updated = min(created + timedelta(days=rng.randint(0, 120)), _LOAD_DAY)
    minute_a, minute_b = rng.randrange(8 * 60, 19 * 60), rng.randrange(8 * 60, 19 * 60)
    return (f"{created.isoformat()} {minute_a // 60:02d}:{minute_a % 60:02d}:00+09",
            f"{updated.isoformat()} {minute_b // 60:02d}:{minute_b % 60:02d}:00+09")


WRITTEN_TABLES = ("cases", "case_versions", "case_attachments", "casebook_adoptions", "casebook_questions",
                  "casebook_answers", "casebook_text_words")
T = TypeVar("T")


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


def _id_array(ids: Iterable[int]) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


class _Vectors:
    """The tsvector text of a case, assembled from cached pieces: each fragment (a corpus sentence,
    a theme) is analysed once per field position, and no row ever calls SudachiPy on new text."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, int], str] = {}

    def piece(self, weight: str, text: str, slot: int) -> str:
        key = (weight, text, slot)
        found = self._cache.get(key)
        if found is None:
            entries = []
            for pos, word in enumerate(search._indexed(text), start=1 + slot * 600):
                for lexeme in word:
                    entries.append(f"{search._quote(lexeme)}:{min(pos, search.MAX_POSITION)}{weight}")
            found = self._cache[key] = _esc(" ".join(entries))
        return found

    def vector(self, parts: list[tuple[str, str]]) -> str:
        # tsvector input merges repeated lexemes, so cached pieces are simply concatenated.
        return " ".join([self.piece(weight, text, slot) for slot, (weight, text) in enumerate(parts)])


@dataclass
class _TenantRows:
    """One municipality's rows, ready for COPY, and what the SQL steps need to know of them."""

    code: str
    cases: str
    case_ids: str
    entry_ids: str
    adoptions: str
    attachments: str
    words: str  # casebook_text_words rows of the texts no earlier municipality used
    count: int
    attachment_count: int
    word_count: int


@dataclass
class _Exchanges:
    """Adoptions, questions and answers, grouped by the municipality that writes them."""

    adoptions: dict[str, list[str]] = field(default_factory=dict)
    questions: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, list[str]] = field(default_factory=dict)
    adoption_count: int = 0
    question_count: int = 0


def _prefetch(produce: Callable[[], Iterator[T]], depth: int) -> Iterator[T]:
    """Items of ``produce()`` made in a worker thread, up to ``depth`` ahead of the consumer."""
    items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in produce():
                while not stop.is_set():
                    try:
                        items.put(("item", item), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(("end", None))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            items.put(("error", error))

    worker = threading.Thread(target=work, name="casebook-generate", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()


class _Writer:
    """COPY into a table: straight in where row-level security does not apply to the owner (the
    bulk-load window), else through a temporary table and INSERT … SELECT, which the policy checks."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur
        cur.execute("""SELECT c.relname FROM pg_class c
                       WHERE c.oid = ANY(%s::regclass[]) AND NOT c.relforcerowsecurity
                         AND pg_get_userbyid(c.relowner) = current_user""", (list(WRITTEN_TABLES),))
        self.direct = {row[0] for row in cur.fetchall()}

    def copy(self, table: str, columns: str, text: str) -> None:
        copy_text(self.cur, table, columns, text, checked=table not in self.direct)


def _users(cur: Any, tenant_codes: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Up to four accounts per municipality (askers and answerers of the generated questions)."""
    users: dict[str, list[tuple[int, str]]] = {}
    for code in tenant_codes:
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (code,))
        cur.execute("SELECT id, display_name FROM users WHERE tenant_id = %s ORDER BY id LIMIT 4", (code,))
        users[code] = [(r[0], r[1]) for r in cur.fetchall()]
    return users


def generate(cur: Any, tenant_codes: list[str], per_tenant: int, rng: random.Random) -> dict[str, int]:
    """Write ``per_tenant`` cases per tenant (+ a first version each + a published casebook copy)."""
    writer = _Writer(cur)
    rebuild: list[tuple[str, str]] = []
    if per_tenant * len(tenant_codes) >= BULK_ROWS:
        # Inside the caller's transaction: nobody ever sees the tables without their indexes.
        cur.execute(_SECONDARY_INDEXES, (list(BULK_TABLES),))
        rebuild = list(cur.fetchall())
        for name, _definition in rebuild:
            cur.execute(f'DROP INDEX "{name}"')
    users = _users(cur, tenant_codes)
    # Held until the commit, before looking at the stored words (text_words: a purge waits for this load).
    cur.execute(text_words.HOLD_FOR_WRITING)
    cur.execute("SELECT digest::text FROM casebook_text_words")
    stored_words = {row[0] for row in cur.fetchall()}
    total_rows = per_tenant * len(tenant_codes)
    case_ids = take_ids(cur, "cases", total_rows)
    entry_ids = take_ids(cur, "casebook_entries", total_rows)
    question_ids = take_ids(cur, "casebook_questions", (total_rows + QUESTION_EVERY - 1) // QUESTION_EVERY)
    exchanges = _Exchanges()
    build = _Builder(_pool(), tenant_codes, users, rng, exchanges, stored_words)
    case_columns = f"tenant_id, id, {', '.join(CONTENT_COLUMNS)}, release_state, created_at, updated_at"
    total = attachment_count = word_count = 0
    # Ask for the GIL back soon after PostgreSQL answers, so the loading thread never waits long
    # behind the building one.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        batches = _prefetch(lambda: build.tenants(per_tenant, case_ids, entry_ids, question_ids), PREFETCH)
        for rows in batches:
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (rows.code,))
            writer.copy("cases", case_columns, rows.cases)
            cur.execute(VERSION_SQL, (rows.code, rows.case_ids))
            cur.execute(ENTRY_SQL, (rows.case_ids, rows.entry_ids, rows.adoptions, rows.code))
            writer.copy("case_attachments", "tenant_id, case_id, filename, content_type, size, data",
                        rows.attachments)
            writer.copy("casebook_text_words", "digest, words", rows.words)
            total += rows.count
            attachment_count += rows.attachment_count
            word_count += rows.word_count
    finally:
        sys.setswitchinterval(switch_interval)
    if rebuild:
        # maintenance_work_mem is the caller's (devtools.generate's window sets it for its own builds).
        for _name, definition in rebuild:
            # A partitioned index reads "ON ONLY parent": without ONLY, it is built on every partition too.
            cur.execute(definition.replace(" ON ONLY ", " ON ", 1))
    # The policies check that the writer is the adopter / asker / answerer: one tenant binding each.
    for table, columns, grouped in (
            ("casebook_adoptions", "entry_id, adopter_tenant_id, status, outcome", exchanges.adoptions),
            ("casebook_questions", "id, entry_id, asker_tenant_id, asker_user_id, asker_name, body",
             exchanges.questions),
            ("casebook_answers", "question_id, answerer_tenant_id, answerer_user_id, answerer_name, body",
             exchanges.answers)):
        for code, lines in grouped.items():
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (code,))
            writer.copy(table, columns, "".join(lines))
    cur.execute("SELECT set_config('app.tenant_id', '', true)")
    return {"cases": total, "case_versions": total, "casebook_entries": total,
            "case_attachments": attachment_count, "casebook_adoptions": exchanges.adoption_count,
            "casebook_questions": exchanges.question_count, "casebook_answers": exchanges.question_count,
            "casebook_text_words": word_count}


class _Builder:
    """Builds each municipality's rows as COPY text (runs in the prefetch thread: it alone draws
    from ``rng``, in a fixed order, so the same seed gives the same data)."""

    def __init__(self, pool: dict[str, list[Any]], tenant_codes: list[str], users: dict[str, list[tuple[int, str]]],
                 rng: random.Random, exchanges: _Exchanges, stored_words: set[str]) -> None:
        self.pool = pool
        self.tenant_codes = tenant_codes
        self.users = users
        self.rng = rng
        self.exchanges = exchanges
        self.vectors = _Vectors()
        self.escaped = {key: [_esc(v) for v in values] for key, values in pool.items()}
        self.pdf = "\\\\x" + PDF_STUB.hex()
        self.askers = [c for c in tenant_codes if users.get(c)]
        self.position = 0
        self.joined = text_words.JoinedTexts()
        self.stored_words = stored_words  # digests in the table before the load
        self.texts_seen: set[tuple[str, str]] = set()  # (kind, text) whose words are stored or written

    def text_words(self, kind: str, pieces: tuple[str, ...], out: list[str]) -> None:
        """A COPY row of the text's words into ``out``, the first time the text is met (and not stored already)."""
        text = "".join(pieces)
        if (kind, text) in self.texts_seen:
            return
        self.texts_seen.add((kind, text))
        key = text_words.digest(kind, text)
        if key not in self.stored_words:
            out.append(f"{key}\t{_esc(self.joined.words(kind, pieces))}\n")

    def tenants(self, per_tenant: int, case_ids: list[int], entry_ids: list[int],
                question_ids: list[int]) -> Iterator[_TenantRows]:
        questions = iter(question_ids)
        for index, code in enumerate(self.tenant_codes):
            window = slice(index * per_tenant, (index + 1) * per_tenant)
            yield self.tenant(code, case_ids[window], entry_ids[window], questions)

    def tenant(self, code: str, case_ids: list[int], entry_ids: list[int], questions: Iterator[int]) -> _TenantRows:
        pool, escaped, rng = self.pool, self.escaped, self.rng
        titles, summaries, problems = pool["titles"], pool["summary"], pool["problem"]
        approaches, outcomes, themes = pool["approach"], pool["outcomes"], pool["themes"]
        tools, departments = pool["tools"], pool["departments"]
        vector = self.vectors.vector
        cases: list[str] = []
        attachments: list[str] = []
        adoption_counts: list[int] = []
        words: list[str] = []
        text_words_of = self.text_words
        for n, case_id in enumerate(case_ids):
            title_at = rng.randrange(len(titles))
            summary = rng.choice(summaries)
            problem, approach = rng.sample(problems, 2), rng.sample(approaches, 2)
            outcome = rng.choice(outcomes)
            case_themes, case_tools = rng.sample(themes, 2), rng.sample(tools, 1)
            fiscal_year, cost = rng.randint(2018, 2026), rng.randrange(0, 50_000_000, 1000)
            created, updated = _dates(rng, fiscal_year)
            department, stage = rng.choice(departments), rng.choice(STAGES)
            # The title's number is not worth a lexeme: the vector is that of the corpus title.
            tsv = vector([("A", titles[title_at]), ("B", summary), ("B", case_themes[0]), ("B", case_themes[1]),
                          ("B", case_tools[0]), ("C", problem[0]), ("C", problem[1]), ("C", approach[0]),
                          ("C", approach[1]), ("C", outcome), ("C", department)])
            number = f"（{n + 1}）"
            text_words_of(text_words.TITLE, (titles[title_at], number), words)
            for pieces in ((summary,), (problem[0], problem[1]), (approach[0], approach[1]), (outcome,)):
                text_words_of(text_words.LINES, pieces, words)
            cases.append("\t".join((
                code, str(case_id), f"{escaped['titles'][title_at]}{number}", _esc(summary),
                _esc(problem[0] + problem[1]), _esc(approach[0] + approach[1]), _esc(outcome),
                _esc(_array(case_themes)), _esc(_array(case_tools)), str(fiscal_year), str(cost), _esc(department),
                stage, tsv, "approved", created, updated + "\n")))
            adoption_counts.append(self.entry(entry_ids[n], code, questions))
            if n % ATTACHMENT_EVERY == 0:
                attachments.append(f"{code}\t{case_id}\t資料_{n + 1}.pdf\tapplication/pdf\t{len(PDF_STUB)}\t"
                                   f"{self.pdf}\n")
        return _TenantRows(code=code, cases="".join(cases), case_ids=_id_array(case_ids),
                           entry_ids=_id_array(entry_ids), adoptions=_id_array(adoption_counts),
                           attachments="".join(attachments), words="".join(words), count=len(case_ids),
                           attachment_count=len(attachments), word_count=len(words))

    def entry(self, entry_id: int, source: str, questions: Iterator[int]) -> int:
        """Adoptions of one casebook entry by other municipalities (and one question in eight); returns
        its adoption count."""
        rng, exchanges, codes = self.rng, self.exchanges, self.tenant_codes
        count = min(rng.randint(0, 5), len(codes) - 1)
        adopters = [c for c in rng.sample(codes, min(len(codes), count + 1)) if c != source][:count]
        for adopter in adopters:
            status = rng.choice(ADOPTION_STATES)
            outcome = DONE_OUTCOME if status == "done" else ""
            exchanges.adoptions.setdefault(adopter, []).append(f"{entry_id}\t{adopter}\t{status}\t{outcome}\n")
        exchanges.adoption_count += len(adopters)
        if self.position % QUESTION_EVERY == 0:
            question_id = next(questions)
            if self.users.get(source) and any(c != source for c in self.askers[:2]):
                asker = source
                while asker == source:  # uniform over the other municipalities with accounts
                    asker = rng.choice(self.askers)
                asker_id, asker_name = rng.choice(self.users[asker])
                answerer_id, answerer_name = rng.choice(self.users[source])
                exchanges.questions.setdefault(asker, []).append(
                    f"{question_id}\t{entry_id}\t{asker}\t{asker_id}\t{_esc(asker_name)}\t{rng.choice(QUESTIONS)}\n")
                exchanges.answers.setdefault(source, []).append(
                    f"{question_id}\t{source}\t{answerer_id}\t{_esc(answerer_name)}\t{rng.choice(ANSWERS)}\n")
                exchanges.question_count += 1
        self.position += 1
        return len(adopters)
