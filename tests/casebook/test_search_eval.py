"""recall@10 and MRR of the casebook search per query group (search_eval.yaml), with floors.

The same scoring as the benchmark's relevance table (bench/relevance.py), which also measures the ILIKE
and PostgreSQL `simple` baselines on these queries.
"""
from __future__ import annotations

from bench.relevance import load_eval, score, yokoten_engine
from tenants.context import bind_tenant

# The figures reached when the set was written (see BENCHMARKS.md, "Search relevance"), rounded down a
# little: a change that loses relevance fails here. Raise them when the search gets better.
FLOORS = {"verbatim": (0.95, 0.98), "normalisation": (0.98, 0.98), "vocabulary": (0.92, 0.96)}


def test_the_set_is_big_enough_and_judged() -> None:
    groups = load_eval()
    assert set(groups) == set(FLOORS)
    assert all(len(items) >= 20 for items in groups.values()) and sum(map(len, groups.values())) >= 60
    queries = [item["q"] for items in groups.values() for item in items]
    assert len(queries) == len(set(queries))
    assert all(item["relevant"] and all(x.startswith("case-") for x in item["relevant"])
               for items in groups.values() for item in items)


def test_recall_and_mrr_per_group(app_ctx) -> None:  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    engine = yokoten_engine()
    failed = []
    for group, items in load_eval().items():
        figures = score(engine, items)
        print(f"{group}: recall@10={figures['recall']:.3f} MRR={figures['mrr']:.3f} ({figures['queries']} queries); "
              f"incomplete: {figures['misses']}")
        floor_recall, floor_mrr = FLOORS[group]
        if figures["recall"] < floor_recall or figures["mrr"] < floor_mrr:
            failed.append((group, figures["recall"], figures["mrr"]))
    assert not failed, failed


def test_scores_and_the_report_section() -> None:
    from bench.relevance import SECTION, replace_section, report_lines

    figures = score(lambda q: ["case-2", "case-1"] if q == "a" else [], [
        {"q": "a", "relevant": ["case-1", "case-3"]}, {"q": "b", "relevant": ["case-1"]}])
    assert (figures["recall"], figures["mrr"]) == (0.25, 0.25)
    assert figures["misses"] == [{"q": "a", "missing": ["case-3"]}, {"q": "b", "missing": ["case-1"]}]
    table = {"groups": {"verbatim": 2}, "engines": {"one": {"verbatim": figures}, "two": {"verbatim": figures}}}
    report = replace_section("# Benchmarks\n\n## Targets\n\nx\n\n## Notes\n\n- n\n", report_lines(table))
    assert report.index("## Targets") < report.index(SECTION) < report.index("## Notes")
    assert "| one | 0.250 | 0.250 |" in report and "| two | 0.250 | 0.250 |" in report
    # Run again: the section is replaced, not repeated, and what follows it stays.
    again = replace_section(report, report_lines(table))
    assert again.count(SECTION) == 1 and again.endswith("## Notes\n\n- n\n")
