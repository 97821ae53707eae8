"""Reading what the casebook suggests beside a search: "did you mean" and the cases related to an entry.

Both read only the published casebook (``casebook_entries`` with status published, and the vocabulary
of published copies): nothing here can reveal a word or a case a viewer may not see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from casebook import search
from kernel.extensions import db

SUGGESTIONS = 3
RELATED = 5
RELATED_CANDIDATES = 200  # entries sharing something with the case, taken from the indexes, then scored
BUCKETS = 8  # the partial indexes of migration 20261206b_search_buckets (queries.SEARCH_BUCKETS)


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


@dataclass
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
    SELECT c.id, c.title, c.fiscal_year, t.name_ja, t.name_en,
           3 * cardinality(ARRAY(SELECT unnest(c.themes) INTERSECT SELECT unnest(:themes)))
           + 2 * cardinality(ARRAY(SELECT unnest(c.tools) INTERSECT SELECT unnest(:tools)))
           + ts_rank(c.rank_vector, CAST(:words AS tsquery)) AS score
    FROM (SELECT * FROM ({_BRANCHES}) AS b LIMIT :candidates) AS c
    JOIN tenants t ON t.code = c.source_tenant_id
    ORDER BY score DESC, c.published_at DESC, c.id DESC
    LIMIT :limit
""").bindparams(bindparam("themes", type_=ARRAY(Text)), bindparam("tools", type_=ARRAY(Text)))  # noqa: S608


def related_entries(entry: Any, limit: int = RELATED) -> list[Related]:
    """The published entries most related to an entry (shared themes, tools and words), best first."""
    texts = [entry.title or "", *(entry.themes or []), *(entry.tools or [])]
    words = sorted({lex for t in texts for lex in search.lexemes(t) if len(lex) > 1} - search._QUERY_STOP)
    if not words:
        return []
    rows = db.session.execute(_RELATED, {
        "id": entry.id, "limit": limit, "candidates": RELATED_CANDIDATES, "themes": list(entry.themes or []),
        "tools": list(entry.tools or []), "words": " | ".join(search._quote(w) for w in words)})
    return [Related(int(r.id), str(r.title), r.fiscal_year, str(r.name_ja), str(r.name_en or ""), float(r.score))
            for r in rows]
