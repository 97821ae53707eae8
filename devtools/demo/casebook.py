"""Demo data: the 60 cases of the sample corpus, each in its municipality, published in the casebook."""
from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "data" / "casebook_corpus.jsonl"
DEMO_SYNONYMS = (
    ("電子申請", "オンライン申請", "電子手続"),
    ("子育て", "育児"),
    ("RPA", "ロボティック・プロセス・オートメーション"),
)


def load_demo() -> str:
    """Import the corpus (published) and the default synonyms, idempotently; runs as the owner."""
    from sqlalchemy import select

    from casebook.importer import import_records, parse_lines
    from casebook.models import Synonym
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tenants.models import TMG_CODE

    records = parse_lines(CORPUS.read_text(encoding="utf-8").splitlines())
    counts = import_records(records, publish=True)
    bind_tenant(TMG_CODE)
    known = {tuple(t) for t in db.session.scalars(select(Synonym.terms))}
    for group in DEMO_SYNONYMS:
        if group not in known:
            db.session.add(Synonym(terms=list(group)))
    db.session.flush()
    bind_tenant(None)
    return f"casebook: {counts['created']} cases created, {counts['published']} published"
