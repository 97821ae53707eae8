"""recall@10 and MRR of the casebook search per query group (search_eval.yaml), with floors."""
from __future__ import annotations

from pathlib import Path

import yaml

from casebook import queries
from tenants.context import bind_tenant

# The figures reached when the set was written (2026-12-06: 1.000/1.000, 1.000/1.000, 1.000/0.854): a drop below fails.
FLOORS = {"verbatim": (1.0, 1.0), "normalisation": (1.0, 1.0), "vocabulary": (1.0, 0.85)}


def test_recall_and_mrr_per_group(app_ctx) -> None:  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    groups = yaml.safe_load((Path(__file__).parent / "search_eval.yaml").read_text(encoding="utf-8"))
    for group, items in groups.items():
        recalls, rr = [], []
        for item in items:
            result = queries.search_casebook(queries.Filters(q=item["q"]), per_page=10, with_facets=False,
                                             with_snippets=False)
            top = [h.entry.external_id for h in result.hits]
            relevant = set(item["relevant"])
            recalls.append(len(relevant & set(top)) / len(relevant))
            rr.append(next((1 / (i + 1) for i, x in enumerate(top) if x in relevant), 0.0))
        recall, mrr = sum(recalls) / len(recalls), sum(rr) / len(rr)
        print(f"{group}: recall@10={recall:.3f} MRR={mrr:.3f} ({len(items)} queries)")
        floor_recall, floor_mrr = FLOORS[group]
        assert recall >= floor_recall and mrr >= floor_mrr, (group, recall, mrr)
