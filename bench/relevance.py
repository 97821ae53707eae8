"""Search relevance: recall@10 and MRR per query group of tests/casebook/search_eval.yaml, per engine.

    python -m bench --relevance        # only this part: rewrites the relevance section of BENCHMARKS.md

Every engine answers the same judged queries over the same published casebook (the demo data: the 60
sample cases of ../shared/data/casebook_corpus.jsonl), in one run:
- Yokoten: the casebook search as the page runs it (SudachiPy analysis, the three thesaurus layers);
- ILIKE: what a search without any Japanese analysis does: every whitespace-separated word of the query
  must occur as a substring (ILIKE) of the title or the body (summary, problem, approach, outcomes),
  cases with more of the words in their title first, then the newest;
- PostgreSQL `simple`: to_tsvector('simple', title and body) @@ plainto_tsquery('simple', query),
  ranked by ts_rank (PostgreSQL's parser does not segment Japanese: a run of kanji and kana is one token).
One row per engine and group; another engine (Groonga, …) is one more entry of ``ENGINES`` or
``extra_engines`` given to ``measure``.
"""
from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "tests" / "casebook" / "search_eval.yaml"
SECTION = "## Search relevance"
TOP = 10

Engine = Callable[[str], list[str]]  # query → external ids of the first TOP results, best first


def load_eval(path: Path = EVAL_FILE) -> dict[str, list[dict[str, Any]]]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def score(engine: Engine, items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """recall@10 and MRR (reciprocal rank of the first relevant result) averaged over the queries."""
    recalls, reciprocal, misses = [], [], []
    for item in items:
        top = engine(str(item["q"]))[:TOP]
        relevant = set(item["relevant"])
        found = relevant & set(top)
        recalls.append(len(found) / len(relevant))
        reciprocal.append(next((1 / (i + 1) for i, x in enumerate(top) if x in relevant), 0.0))
        if found != relevant:
            misses.append({"q": item["q"], "missing": sorted(relevant - found)})
    n = len(recalls) or 1
    return {"queries": len(recalls), "recall": sum(recalls) / n, "mrr": sum(reciprocal) / n, "misses": misses}


def yokoten_engine() -> Engine:
    from casebook import queries

    def run(q: str) -> list[str]:
        result = queries.search_casebook(queries.Filters(q=q), per_page=TOP, with_facets=False, with_snippets=False)
        return [h.entry.external_id for h in result.hits]
    return run


def _body() -> Any:
    from sqlalchemy import func

    from casebook.models import Entry

    return func.concat_ws(" ", Entry.title, Entry.summary, Entry.problem, Entry.approach, Entry.outcomes)


def ilike_engine() -> Engine:
    from sqlalchemy import Integer, cast, select

    from casebook.models import Entry
    from kernel.extensions import db

    def run(q: str) -> list[str]:
        words = [w for w in re.split(r"\s+", q.strip()) if w][:10]
        if not words:
            return []
        patterns = ["%" + w.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%" for w in words]
        body = _body()
        in_title = sum((cast(Entry.title.ilike(p, escape="\\"), Integer) for p in patterns[1:]),
                       cast(Entry.title.ilike(patterns[0], escape="\\"), Integer))
        stmt = select(Entry.external_id).where(Entry.status == "published",
                                               *(body.ilike(p, escape="\\") for p in patterns)) \
            .order_by(in_title.desc(), Entry.published_at.desc(), Entry.id.desc()).limit(TOP)
        return [str(x) for x in db.session.scalars(stmt)]
    return run


def simple_engine() -> Engine:
    from sqlalchemy import cast, func, select
    from sqlalchemy.dialects.postgresql import REGCONFIG

    from casebook.models import Entry
    from kernel.extensions import db

    def run(q: str) -> list[str]:
        simple = cast("simple", REGCONFIG)
        vector = func.to_tsvector(simple, _body())
        query = func.plainto_tsquery(simple, q)
        stmt = select(Entry.external_id).where(Entry.status == "published", vector.op("@@")(query)) \
            .order_by(func.ts_rank(vector, query).desc(), Entry.published_at.desc(), Entry.id.desc()).limit(TOP)
        return [str(x) for x in db.session.scalars(stmt)]
    return run


ENGINES: dict[str, Callable[[], Engine]] = {
    "Yokoten (SudachiPy + thesaurus)": yokoten_engine,
    "ILIKE (substring of title and body)": ilike_engine,
    "PostgreSQL `simple` configuration": simple_engine,
}


def measure(extra_engines: Mapping[str, Engine] | None = None) -> dict[str, Any]:
    """Scores of every engine per group, in an app context with the casebook loaded and a tenant bound."""
    groups = load_eval()
    engines = {name: factory() for name, factory in ENGINES.items()}
    engines.update(extra_engines or {})
    return {"groups": {g: len(items) for g, items in groups.items()},
            "engines": {name: {g: score(engine, items) for g, items in groups.items()}
                        for name, engine in engines.items()}}


def report_lines(figures: dict[str, Any]) -> list[str]:
    """The BENCHMARKS.md section: one row per engine, recall@10 / MRR per query group."""
    groups = list(figures["groups"])
    lines = [SECTION, "",
             f"Measured {figures.get('date', '?')} at commit `{figures.get('commit', '?')}`. "
             f"`tests/casebook/search_eval.yaml`: {sum(figures['groups'].values())} Japanese queries as staff type "
             "them, with the cases judged relevant by reading them, over the demo casebook (the 60 sample cases); "
             "all engines in the same run (`python -m bench --relevance` measures only this). Verbatim: the "
             "cases use the words typed; normalisation: they differ in width, kana, okurigana or spacing; "
             "vocabulary: a synonym, abbreviation or product name the relevant cases do not use. "
             "`tests/casebook/test_search_eval.py` fails when Yokoten's figures drop.", "",
             "| engine | " + " | ".join(f"{g} ({figures['groups'][g]}) recall@10 | MRR" for g in groups) + " |",
             "|---|" + "---:|---:|" * len(groups)]
    for name, per_group in figures["engines"].items():
        lines.append(f"| {name} | " + " | ".join(
            f"{per_group[g]['recall']:.3f} | {per_group[g]['mrr']:.3f}" for g in groups) + " |")
    lines += ["",
              "- ILIKE: every whitespace-separated word of the query must be a substring of the title or the body "
              "(summary, problem, approach, outcomes); more words in the title first, then the newest. PostgreSQL "
              "`simple`: `to_tsvector('simple', title and body) @@ plainto_tsquery('simple', q)` ranked by "
              "ts_rank; its parser does not segment Japanese, so a query word matches only a whole run of "
              "kanji and kana.",
              "- The queries were written by the engineer who also wrote the DX vocabulary: the vocabulary group "
              "favours the thesaurus. Its last 8 queries were added afterwards as colloquial requests and left "
              "untuned; the cases still missed are listed by `pytest tests/casebook/test_search_eval.py -s`.",
              "- Another engine is one more row: an entry of `bench.relevance.ENGINES` (a function from the query "
              "to the external ids of its first 10 results)."]
    return lines


def replace_section(markdown: str, lines: list[str]) -> str:
    """The report with its relevance section replaced (or added before the notes)."""
    section = "\n".join(lines) + "\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(markdown):
        return pattern.sub(lambda _m: section + "\n", markdown, count=1)
    if "\n## Notes" in markdown:
        return markdown.replace("\n## Notes", "\n" + section + "\n## Notes", 1)
    return markdown.rstrip("\n") + "\n\n" + section


def run_standalone(output: Path, extra_engines: Mapping[str, Engine] | None = None) -> dict[str, Any]:
    """Build a throw-away database with the demo data (as the tests do), measure, rewrite the section."""
    from tests.dbsetup import build_template, start_cluster

    config = {"TESTING": True, "PORTAL_ENV": "test", "SECRET_KEY": "bench-relevance", "DEV_LOGIN_ENABLED": True,
              "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
              "SSO_SECRET_KEY": "dGVzdC1zc28ta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0="}
    cluster = start_cluster()
    try:
        build_template(cluster, config)
        from portal.app import create_app
        from tenants.context import as_tenant

        app = create_app({**config, **cluster.create_from_template("unit")})
        with app.app_context(), as_tenant("132055"):
            figures = measure(extra_engines)
        figures["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        figures["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                           text=True, check=False).stdout.strip() or "?"
    finally:
        cluster.teardown()
    text = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    output.write_text(replace_section(text, report_lines(figures)), encoding="utf-8")
    return figures
