"""Reading what the casebook suggests beside a search: "did you mean" and the cases related to an entry.

Both read only the published casebook (``casebook_entries`` with status published, and the vocabulary
of published copies): nothing here can reveal a word or a case a viewer may not see.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from casebook import search
from kernel.extensions import db

SUGGESTIONS = 3
RELATED = 5
RELATED_CANDIDATES = 200  # entries sharing something with the case, taken from the indexes, then scored
BUCKETS = 8  # the partial indexes of migration 20261206b_search_buckets (on casebook_entries)


def vocabulary_words(data: dict[str, Any]) -> dict[str, str]:
    """Lexeme → a spelling as written (NFKC), for the words of the strong fields (those of ``rank_vector``)."""
    texts = [data.get("title") or "", data.get("summary") or "", *(data.get("themes") or []),
             *(data.get("tools") or [])]
    words: dict[str, str] = {}
    for text_ in texts:
        for surface, lexeme in search.morphemes(text_):
            main = lexeme.split(search._ALT)[0]
            if len(main) > 1 and main not in words:
                words[main] = surface
    return words


# Per query word, the nearest words of the vocabulary (pg_trgm's % and its GIN index), the ten most
# similar checked against the published entries' rank vectors (a word of a retired case is never offered).
_NEAREST = text("""
    SELECT w.i, v.surface FROM unnest(:words) WITH ORDINALITY AS w(word, i)
    CROSS JOIN LATERAL (
        SELECT c.lexeme, c.surface, c.sim FROM (
            SELECT lexeme, surface, similarity(lexeme, w.word) AS sim FROM casebook_vocabulary
            WHERE lexeme % w.word AND lexeme <> w.word ORDER BY sim DESC, lexeme LIMIT 10) c
        WHERE EXISTS (SELECT 1 FROM casebook_entries e WHERE e.status = 'published'
                      AND e.rank_vector @@ CAST(quote_literal(c.lexeme) AS tsquery))
        ORDER BY c.sim DESC, c.lexeme LIMIT :per_word) v
    ORDER BY w.i, v.sim DESC, v.lexeme
""").bindparams(bindparam("words", type_=ARRAY(Text)))


def did_you_mean(query: str) -> list[str]:
    """Queries to try instead of one that found nothing: its words replaced by the nearest published words."""
    words = list(dict.fromkeys(search.lexemes(search.normalize_text(query)[:200])))[:5]
    if not words:
        return []
    nearest: dict[int, list[str]] = {}
    for row in db.session.execute(_NEAREST, {"words": words, "per_word": SUGGESTIONS}):
        nearest.setdefault(int(row.i), []).append(str(row.surface))
    if not nearest:
        return []
    if len(words) == 1:
        return nearest[1]
    # Several words: the best replacement of each (a word without one is left out, it found nothing).
    return [" ".join(found[0] for _i, found in sorted(nearest.items()))]


@dataclass(frozen=True)
class Related:
    id: int
    title: str
    fiscal_year: Optional[int]
    municipality_ja: str
    municipality_en: str
    score: float

    def municipality(self, locale: str = "ja") -> str:
        return self.municipality_en if locale == "en" and self.municipality_en else self.municipality_ja


# One statement. Candidates: up to RELATED_CANDIDATES published entries whose title, summary, themes or
# tools (the rank vector) hold a word of the entry's title, themes or tools, asked of the eight bucket
# indexes in turn under the LIMIT (see queries._matching: a common word never builds the bitmap of all
# its matches; OR-ing the full GIN indexes of themes, tools and rank_vector did, 0.4 s at national
# scale). Each is scored by what it shares (a theme 3, a tool 2, plus ts_rank of those words); best
# first, then newest, with the source municipality's name for the page.
# Built from constants only (the bucket numbers); every value is a bound parameter.
_BRANCH = ("(SELECT e.id, e.title, e.fiscal_year, e.source_tenant_id, e.themes, e.tools, e.rank_vector, "
           "e.published_at FROM casebook_entries e WHERE (e.id % {n}) = {k} "
           "AND e.rank_vector @@ CAST(:words AS tsquery) AND e.status = 'published' AND e.id <> :id)")
_BRANCHES = " UNION ALL ".join(_BRANCH.format(n=BUCKETS, k=k) for k in range(BUCKETS))
_RELATED = text(f"""
    SELECT c.id, c.title, c.fiscal_year, t.name_ja, t.name_en, (SELECT value FROM casebook_generation) AS generation,
           3 * cardinality(ARRAY(SELECT unnest(c.themes) INTERSECT SELECT unnest(:themes)))
           + 2 * cardinality(ARRAY(SELECT unnest(c.tools) INTERSECT SELECT unnest(:tools)))
           + ts_rank(c.rank_vector, CAST(:words AS tsquery)) AS score
    FROM (SELECT * FROM ({_BRANCHES}) AS b LIMIT :candidates) AS c
    JOIN tenants t ON t.code = c.source_tenant_id
    ORDER BY score DESC, c.published_at DESC, c.id DESC
    LIMIT :limit
""").bindparams(bindparam("themes", type_=ARRAY(Text)), bindparam("tools", type_=ARRAY(Text)))  # noqa: S608


# The related cases a worker has computed: (entry id, limit) → (the casebook's generation they were read
# at, the list). They depend on nothing but the published casebook and the municipalities' names, the
# same for every viewer whatever their tenant (casebook_entries and tenants have no row-level policy;
# only published entries are read), so one worker's copy serves everyone. Invalidation: the
# generation (migration 20261206c_casebook_generation) changes in the same transaction as any change
# of what they read, and is read in the same statement as the list; a kept list is used only when the
# generation read now is the one it was read at. Kept per app (a test's app and its database never see
# another's), at most RELATED_KEPT entries, least recently used dropped first.
RELATED_KEPT = 2048
_GENERATION = text("SELECT value FROM casebook_generation")
_kept_lock = threading.Lock()  # gunicorn may run several threads per worker (GUNICORN_THREADS)


def _kept() -> OrderedDict[tuple[int, int], tuple[int, list[Related]]]:
    return current_app.extensions.setdefault("casebook_related", OrderedDict())


def related_entries(entry: Any, limit: int = RELATED, generation: Optional[int] = None) -> list[Related]:
    """The published entries most related to an entry (shared themes, tools and words), best first.

    One statement: the list, or only the generation when this worker has the list already (two when
    the kept list is out of date). ``generation``: the casebook's generation as the caller read it in this
    transaction (the entry page reads it with the entry): with the list kept, no statement at all.
    """
    kept = _kept()
    key = (int(entry.id), limit)
    found = kept.get(key)
    if found is not None and (generation if generation is not None else db.session.scalar(_GENERATION)) == found[0]:
        with _kept_lock:
            if key in kept:
                kept.move_to_end(key)
        return list(found[1])
    texts = [entry.title or "", *(entry.themes or []), *(entry.tools or [])]
    words = sorted({lex for t in texts for lex in search.lexemes(t) if len(lex) > 1} - search._QUERY_STOP)
    if not words:
        return []
    rows = db.session.execute(_RELATED, {
        "id": entry.id, "limit": limit, "candidates": RELATED_CANDIDATES, "themes": list(entry.themes or []),
        "tools": list(entry.tools or []), "words": " | ".join(search._quote(w) for w in words)}).all()
    related = [Related(int(r.id), str(r.title), r.fiscal_year, str(r.name_ja), str(r.name_en or ""),
                       float(r.score)) for r in rows]
    with _kept_lock:
        if rows:  # an empty list is not kept: it brings no generation with it
            kept[key] = (int(rows[0].generation), related)
            while len(kept) > RELATED_KEPT:
                kept.popitem(last=False)
        else:
            kept.pop(key, None)
    return list(related)
