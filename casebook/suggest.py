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


# One statement: the entry's themes, tools and title words; up to RELATED_CANDIDATES published entries
# sharing any of them (GIN indexes on themes, tools and rank_vector, OR-ed bitmaps), each scored by what
# it shares (a theme 3, a tool 2, plus ts_rank of the title words in its title, summary, themes, tools);
# best first, then newest, with the source municipality's name for the page.
_RELATED = text("""
    WITH me AS (
        SELECT id, themes, tools,
               CAST(NULLIF(array_to_string(ARRAY(
                   SELECT quote_literal(word) FROM unnest(tsvector_to_array(ts_filter(rank_vector, '{a}'))) AS word
                   WHERE length(word) > 1 AND word <> ALL(:stop)), ' | '), '') AS tsquery) AS words
        FROM casebook_entries WHERE id = :id)
    SELECT c.id, c.title, c.fiscal_year, t.name_ja, t.name_en,
           3 * cardinality(ARRAY(SELECT unnest(c.themes) INTERSECT SELECT unnest(me.themes)))
           + 2 * cardinality(ARRAY(SELECT unnest(c.tools) INTERSECT SELECT unnest(me.tools)))
           + coalesce(ts_rank(c.rank_vector, me.words), 0) AS score
    FROM me CROSS JOIN LATERAL (
        SELECT e.id, e.title, e.fiscal_year, e.source_tenant_id, e.themes, e.tools, e.rank_vector, e.published_at
        FROM casebook_entries e
        WHERE e.status = 'published' AND e.id <> me.id
          AND (e.themes && me.themes OR e.tools && me.tools OR e.rank_vector @@ me.words)
        LIMIT :candidates) c
    JOIN tenants t ON t.code = c.source_tenant_id
    ORDER BY score DESC, c.published_at DESC, c.id DESC
    LIMIT :limit
""").bindparams(bindparam("stop", type_=ARRAY(Text)))


def related_entries(entry_id: int, limit: int = RELATED) -> list[Related]:
    """The published entries most related to an entry (shared themes, tools and title words), best first."""
    rows = db.session.execute(_RELATED, {"id": entry_id, "limit": limit, "candidates": RELATED_CANDIDATES,
                                         "stop": sorted(search._QUERY_STOP)})
    return [Related(int(r.id), str(r.title), r.fiscal_year, str(r.name_ja), str(r.name_en or ""), float(r.score))
            for r in rows]
