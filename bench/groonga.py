"""Groonga beside our search (issue 22 point 5): the same casebook, the same queries, one table.

Groonga (Debian's ``groonga-bin``: ``apt-get install groonga-bin``) is a dedicated Japanese full-text
engine. The benchmark starts it on 127.0.0.1 (a free port, a fresh database under var/bench/groonga),
loads the bench's Tokyo casebook (every published entry: title, summary, themes, tools and body) and
the 60-case sample corpus, and asks it what our search is asked:

- recall@10 and MRR over the judged queries of tests/casebook/search_eval.yaml, ours on a database
  holding the sample corpus only (as the evaluation test), Groonga on its copy of the same corpus;
- latency p50/p95 over the same queries plus the benchmark's 30 search terms on the Tokyo data set,
  both timed from this Python process: ours is ``queries.search_casebook`` (query analysis, thesaurus,
  the capped count and facets, the ranked page with snippets; no HTML), Groonga's an HTTP ``select``
  (the match count and the 20 best by score, with drilldowns on stage and fiscal year).

Groonga's schema is its usual one for Japanese: a TokenBigram lexicon with NFKC normalisation that
also unifies hiragana and katakana, one index over the weighted columns (title 10, summary/themes/
tools 5, body 1), every word of a query required. Run as root on Debian, the benchmark installs the
package itself (as it does wrk); elsewhere, without the binary, the section says how to install it and is
skipped. The test command never needs it.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.setup import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "casebook" / "search_eval.yaml"
CORPUS = ROOT / "devtools" / "data" / "casebook_corpus.jsonl"
INSTALL = "apt-get install groonga-bin"
SCHEMA = [
    ("table_create", {"name": "{table}", "flags": "TABLE_HASH_KEY", "key_type": "ShortText"}),
    *[("column_create", {"table": "{table}", "name": name, "flags": "COLUMN_SCALAR", "type": kind})
      for name, kind in (("title", "Text"), ("summary", "Text"), ("themes", "Text"), ("tools", "Text"),
                         ("body", "LongText"), ("stage", "ShortText"), ("fiscal_year", "Int32"))],
    ("table_create", {"name": "{table}Terms", "flags": "TABLE_PAT_KEY", "key_type": "ShortText",
                      "default_tokenizer": "TokenBigram",
                      "normalizer": 'NormalizerNFKC100("unify_kana", true)'}),
    ("column_create", {"table": "{table}Terms", "name": "index", "flags": "COLUMN_INDEX|WITH_POSITION|WITH_SECTION",
                       "type": "{table}", "source": "title,summary,themes,tools,body"}),
]
MATCH_COLUMNS = "title * 10 || summary * 5 || themes * 5 || tools * 5 || body"


def available() -> str | None:
    """The groonga program; installed from Debian's package first when the benchmark runs as root on Debian
    (as wrk is), so that `make bench` on a fresh machine measures the peer too. None: skipped."""
    found = shutil.which("groonga")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("==> installing Debian's groonga-bin")
        for step in (["apt-get", "install", "-y", "-qq", "groonga-bin"], ["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "groonga-bin"]):
            subprocess.run(step, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            found = shutil.which("groonga")
            if found:
                break
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Groonga:
    """A Groonga HTTP server on loopback with a throw-away database."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir = binary, workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/d"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Groonga:
        import requests

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(dir=self.workdir))
        log = (self.tmp / "groonga.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "--protocol", "http", "-s", "--bind-address", "127.0.0.1", "--port", str(self.port),
             "--log-path", str(self.tmp / "groonga.log"), "--query-log-path", str(self.tmp / "query.log"),
             "-n", str(self.tmp / "db")], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/status", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"groonga did not start: see {self.tmp / 'groonga.log'}")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def command(self, command_name: str, /, **params: Any) -> Any:
        import requests

        response = requests.get(f"{self.url}/{command_name}", params=params, timeout=600)
        body = response.json()
        if body[0][0] != 0:
            raise RuntimeError(f"groonga {command_name}: {body[0]}")
        return body[1]

    def create(self, table: str) -> None:
        for name, params in SCHEMA:
            self.command(name, **{k: v.replace("{table}", table) for k, v in params.items()})

    def load(self, table: str, rows: list[dict[str, Any]]) -> None:
        import requests

        response = requests.post(f"{self.url}/load", params={"table": table},
                                 data=json.dumps(rows, ensure_ascii=False).encode(),
                                 headers={"Content-Type": "application/json"}, timeout=600)
        body = response.json()
        if body[0][0] != 0:
            raise RuntimeError(f"groonga load: {body[0]}")

    def search(self, table: str, query: str, limit: int = 10, drilldown: bool = False) -> list[str]:
        """The keys of the best ``limit`` records having every word of the query."""
        words = [w for w in query.replace("\u3000", " ").split() if w]
        escaped = " ".join('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in words)
        params = {"table": table, "match_columns": MATCH_COLUMNS, "query": escaped, "sort_keys": "-_score,_key",
                  "limit": str(limit), "output_columns": "_key,_score"}
        if drilldown:
            params["drilldown"] = "stage,fiscal_year"
        result = self.command("select", **params)
        return [str(row[0]) for row in result[0][2:]]


def _record(row: dict[str, Any], key: str) -> dict[str, Any]:
    body = "\n".join(str(row.get(k) or "") for k in ("problem", "approach", "outcomes", "lessons"))
    return {"_key": key, "title": row.get("title") or "", "summary": row.get("summary") or "",
            "themes": " ".join(row.get("themes") or []), "tools": " ".join(row.get("tools") or []),
            "body": body, "stage": row.get("stage") or "", "fiscal_year": int(row.get("fiscal_year") or 0)}


def _eval_items() -> list[tuple[str, str, set[str]]]:
    groups = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    return [(group, str(item["q"]), set(item["relevant"])) for group, items in groups.items() for item in items]


def _scores(found: dict[str, list[str]], items: list[tuple[str, str, set[str]]]) -> dict[str, tuple[float, float]]:
    """recall@10 and MRR per group and over all ("all")."""
    per: dict[str, list[tuple[float, float]]] = {}
    for group, q, relevant in items:
        top = found[q][:10]
        recall = len(relevant & set(top)) / len(relevant)
        rr = next((1 / (i + 1) for i, x in enumerate(top) if x in relevant), 0.0)
        per.setdefault(group, []).append((recall, rr))
        per.setdefault("all", []).append((recall, rr))
    return {g: (statistics.mean(r for r, _ in v), statistics.mean(m for _, m in v)) for g, v in per.items()}


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _ours(db_url: str, owner_url: str, queries_: list[str], limit: int, facets: bool) -> tuple[dict[str, list[str]],
                                                                                              list[float]]:
    """Our search in-process: the external ids (or ids) of the top hits per query, and each call's time."""
    from casebook import queries
    from portal.app import create_app
    from tenants.context import bind_tenant

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "DATABASE_OWNER_URL": owner_url, "SECRET_KEY": "bench"})
    found: dict[str, list[str]] = {}
    times: list[float] = []
    with app.app_context():
        from kernel.extensions import db

        for q in queries_:
            # Each query runs twice, as Groonga's: the first warms the database's buffers (and the pool, the
            # dictionary); before the second, timed one, the worker forgets what it keeps per query and text
            # (the analysis, the hits' snippets and titles), as Groonga keeps no query cache for these selects
            # (its query log shows every one executed): asked again, ours would find its snippets kept.
            for attempt in range(2):
                if attempt:
                    queries.forget_recent_searches()
                bind_tenant("132055")
                started = time.perf_counter()
                result = queries.search_casebook(queries.Filters(q=q), per_page=limit, with_facets=facets,
                                                 with_snippets=facets)
                elapsed = (time.perf_counter() - started) * 1000
                db.session.rollback()
            times.append(elapsed)
            found[q] = [h.entry.external_id or str(h.entry.id) for h in result.hits]
        db.engine.dispose()
    return found, times


def _eval_database(server: Any) -> BenchDatabase:
    """A database holding the demo data only (the 60-case corpus published), as the evaluation test's."""
    from flask_migrate import upgrade

    from bench.setup import APP_ROLE, OWNER, schema_fingerprint
    from devtools.cli import load_all_demo
    from kernel.db_admin import ensure_roles_and_database
    from portal.app import create_app

    name = f"yokoten_eval_{schema_fingerprint()}"
    db = BenchDatabase(name, server.get_uri(), 0, 0)
    ensure_roles_and_database(db.admin_url, OWNER, APP_ROLE, name)
    if not db.query("SELECT to_regclass('casebook_entries') IS NOT NULL")[0][0] or \
            not db.query("SELECT count(*) FROM casebook_entries")[0][0]:
        app = create_app({"SQLALCHEMY_DATABASE_URI": db.app_url, "DATABASE_OWNER_URL": db.owner_url,
                          "SECRET_KEY": "bench-setup"})
        with app.app_context():
            upgrade()
            load_all_demo()
    return db


def compare(server: Any, tokyo: BenchDatabase, search_terms: tuple[str, ...]) -> dict[str, Any]:
    """Recall and latency of both engines, or {"skipped": reason} without Groonga."""
    binary = available()
    if binary is None:
        print(f"==> Groonga: not installed ({INSTALL}); the side-by-side comparison is skipped")
        return {"skipped": f"Groonga is not installed on this machine (`{INSTALL}`, as root)"}
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.split(" [")[0]
    items = _eval_items()
    eval_db = _eval_database(server)
    ours_found, _ = _ours(eval_db.app_url, eval_db.owner_url, [q for _g, q, _r in items], 10, False)
    latency_queries = list(dict.fromkeys([q for _g, q, _r in items] + list(search_terms)))
    print(f"==> Groonga ({version}): loading the corpus and {tokyo.name}")
    with Groonga(binary, ROOT / "var" / "bench" / "groonga") as groonga:
        groonga.create("Corpus")
        corpus = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
        groonga.load("Corpus", [_record(row, row["external_id"]) for row in corpus])
        groonga_found = {q: groonga.search("Corpus", q) for _g, q, _r in items}
        groonga.create("Entries")
        started = time.perf_counter()
        loaded = 0
        columns = ("id", "title", "summary", "themes", "tools", "problem", "approach", "outcomes", "lessons",
                   "stage", "fiscal_year")
        import psycopg2

        with psycopg2.connect(tokyo.reader_url) as conn, conn.cursor(name="entries") as cur:
            cur.itersize = 5000
            cur.execute(f"SELECT {', '.join(columns)} FROM casebook_entries WHERE status = 'published'")  # noqa: S608
            batch: list[dict[str, Any]] = []
            for row in cur:
                record = dict(zip(columns, row, strict=True))
                batch.append(_record(record, str(record["id"])))
                if len(batch) == 5000:
                    groonga.load("Entries", batch)
                    loaded += len(batch)
                    batch = []
            if batch:
                groonga.load("Entries", batch)
                loaded += len(batch)
        load_seconds = time.perf_counter() - started
        groonga_times = []
        for q in latency_queries:
            groonga.search("Entries", q, 20, drilldown=True)  # warm
            t0 = time.perf_counter()
            groonga.search("Entries", q, 20, drilldown=True)
            groonga_times.append((time.perf_counter() - t0) * 1000)
    _found, ours_times = _ours(tokyo.app_url, tokyo.owner_url, latency_queries, 20, True)
    return {"version": version, "entries": loaded, "load_seconds": load_seconds, "eval_queries": len(items),
            "latency_queries": len(latency_queries), "ours": {"scores": _scores(ours_found, items),
                                                               "latency": _ms(ours_times)},
            "groonga": {"scores": _scores(groonga_found, items), "latency": _ms(groonga_times)}}


def report_lines(figures: dict[str, Any] | None) -> list[str]:
    """The BENCHMARKS.md section."""
    lines = ["", "## Our search beside Groonga", ""]
    if not figures:
        return lines + ["Not run."]
    if "skipped" in figures:
        return lines + [f"Skipped: {figures['skipped']}."]
    groups = [g for g in figures["ours"]["scores"] if g != "all"] + ["all"]
    lines += [
        f"{figures['version']} on 127.0.0.1, started by the benchmark. Relevance over the "
        f"{figures['eval_queries']} judged queries of `tests/casebook/search_eval.yaml` (the 60-case sample corpus; "
        f"ours on a database holding only that corpus, like the evaluation test). Latency over "
        f"{figures['latency_queries']} queries (those and the benchmark's search terms) on the Tokyo data set "
        f"({figures['entries']:,} published entries, loaded into Groonga in {figures['load_seconds']:.0f} s), each "
        "timed from the benchmark's Python process after one warm-up call of the same query: ours is "
        "`search_casebook` in-process, the worker having forgotten what it keeps per query and text before the "
        "timed call (asked again, ours would find its snippets kept) "
        "(query analysis and thesaurus, the capped count with the facets, the ranked page of 20 with snippets; no "
        "HTML), Groonga's an HTTP `select` on loopback after one warm-up call of the same select (it keeps no "
        "query cache for these: its query log shows each executed; the count and the 20 best by score, drilldowns "
        "on stage and fiscal year). Groonga's schema: TokenBigram, NFKC with hiragana/katakana unified, title "
        "weighted 10, summary, themes and tools 5, body 1, every word required.",
        "",
        "| engine | " + " | ".join(f"recall@10 {g}" for g in groups) + " | MRR all | latency p50 ms | latency p95 ms |",
        "|---|" + "---:|" * (len(groups) + 3),
    ]
    for name, label in (("ours", "Yokoten (PostgreSQL, SudachiPy, thesaurus)"), ("groonga", "Groonga")):
        data = figures[name]
        scores = data["scores"]
        lines.append(f"| {label} | " + " | ".join(f"{scores[g][0]:.3f}" for g in groups)
                     + f" | {scores['all'][1]:.3f} | {data['latency'][0]:.1f} | {data['latency'][1]:.1f} |")
    ratio = figures["ours"]["latency"][1] / max(figures["groonga"]["latency"][1], 0.001)
    lines += ["", f"Latency p95, ours / Groonga: {ratio:.2f}× (aim: at most 1.5×)."]
    return lines


def corpus_records() -> list[dict[str, Any]]:
    """The 60 sample cases as Groonga records keyed by external id (for the relevance table)."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [_record(row, row["external_id"]) for row in rows]
