"""The search's three synonym layers, applied to a query at query time with weights.

1. General Japanese (SudachiDict's synonym dictionary, ``data/sudachi_synonyms.tsv``, built by
   ``python -m devtools.sudachi_synonyms``): strict synonyms (same group and lexeme) count fully,
   near synonyms (other lexemes of the group) only in the widest tier.
2. The municipal-DX vocabulary (``data/dx_vocabulary.tsv``, maintained in code review).
3. The curators' synonyms (``casebook_synonyms``, edited on /curation/synonyms).

A query becomes three tsqueries: the words as typed (exact), with the strong expansions (layers 2,
3 and Sudachi's strict synonyms) and with everything (plus Sudachi's near synonyms). The widest one
selects the matches; the ranking adds ts_rank of all three, so a case with the typed word (found by
all three) ranks above one found through a strong synonym (two), above one found through a near
synonym (one). Which layer produced a case's match is worked out for the page's rows only
(``synonym_matches``), from the lexemes of their stored tsvector.

The Sudachi table (38,000 triggers, 3.5 MB) is never loaded into a dict: it is a sorted file read
through a read-only memory map and binary-searched per query n-gram, so every gunicorn worker shares
the same pages of the OS cache and a worker's own memory does not grow with it.
"""
from __future__ import annotations

import mmap
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from casebook import search

DATA = Path(__file__).parent / "data"
SUDACHI_FILE = DATA / "sudachi_synonyms.tsv"
VOCABULARY_FILE = DATA / "dx_vocabulary.tsv"
MAX_KEY_WORDS = 6  # longest trigger looked up, in lexemes (longer multi-word terms are rare)

# Layers, in the order a match is attributed to them when several produce the same word.
CURATOR, DX, SUDACHI, SUDACHI_NEAR = "curator", "dx", "sudachi", "sudachi_near"
LAYERS = (CURATOR, DX, SUDACHI, SUDACHI_NEAR)

Key = tuple[str, ...]


@dataclass(frozen=True)
class Alternative:
    """A word a query word may be replaced with, and where that equivalence comes from."""

    lexemes: Key
    term: str  # as written in its source, for the page
    layer: str

    @property
    def strict(self) -> bool:
        return self.layer != SUDACHI_NEAR


@dataclass(frozen=True)
class SynonymMatch:
    """A result matched a query word through a synonym: ``found`` stands for ``word`` in ``layer``."""

    word: str
    found: str
    layer: str


@dataclass(frozen=True)
class Expanded:
    """A query's tsqueries per tier and what is needed to explain a match."""

    tsquery: str  # every expansion: selects the matches
    terms: list[str]  # every lexeme that may match (highlighting)
    strong: str  # typed words + strict synonyms of every layer (ranking)
    exact: str  # the words as typed (ranking)
    alternatives: dict[Key, tuple[str, list[Alternative]]] = field(default_factory=dict)
    # ``tsquery`` without the alternatives that another of the same word implies (子育て | 子育て & 支援 is
    # 子育て): the same matches, fewer index entries for the GIN scan to walk. Selects; ``tsquery`` ranks.
    selection: str = ""

    def selects(self) -> str:
        """The tsquery that selects the matches (the same rows as ``tsquery``)."""
        return self.selection or self.tsquery

    def rank_tiers(self) -> list[str]:
        """The extra tsqueries whose ts_rank is added to the match's (distinct, non-empty)."""
        tiers: list[str] = []
        for text in (self.strong, self.exact):
            if text and text != self.tsquery and text not in tiers:
                tiers.append(text)
        return tiers


# --- layer 1: SudachiDict ---------------------------------------------------------------------

class SudachiSynonyms:
    """Binary search over the sorted, memory-mapped expansion table (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = path
        self._map: mmap.mmap | None = None
        self._lock = threading.Lock()

    def _mapped(self) -> mmap.mmap:
        if self._map is None:
            with self._lock:
                if self._map is None:
                    with self.path.open("rb") as handle:
                        self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def _line_at(self, target: bytes) -> bytes | None:
        data = self._mapped()
        lo, hi = 0, len(data)
        # Invariant: lines starting before lo have a smaller key, lines starting at hi or later do not.
        while lo < hi:
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            end = data.find(b"\n", mid)
            end = len(data) if end < 0 else end
            tab = data.find(b"\t", start, end)
            key = data[start:tab if tab >= 0 else end]
            if key < target:
                lo = end + 1
            else:
                hi = start
        end = data.find(b"\n", lo)
        line = data[lo:end if end >= 0 else len(data)]
        return line if line.split(b"\t", 1)[0] == target else None

    def lookup(self, key: Key) -> tuple[str, list[Alternative]] | None:
        """(headword, alternatives) of a trigger's lexemes, None if it is no trigger."""
        line = self._line_at(" ".join(key).encode("utf-8"))
        if line is None:
            return None
        _key, headword, strict, near = (line.decode("utf-8").split("\t") + ["", ""])[:4]
        found: list[Alternative] = []
        for layer, items in ((SUDACHI, strict), (SUDACHI_NEAR, near)):
            for item in items.split("|") if items else []:
                lexemes, _, term = item.partition("=")
                found.append(Alternative(tuple(lexemes.split(" ")), term, layer))
        return headword, found

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


_sudachi = SudachiSynonyms(SUDACHI_FILE)


def sudachi_synonyms() -> SudachiSynonyms:
    return _sudachi


# --- layers 2 and 3: groups of terms ----------------------------------------------------------

def read_vocabulary(path: Path = VOCABULARY_FILE) -> tuple[tuple[str, ...], ...]:
    """The groups of a vocabulary file: one group per line, terms separated by tabs, # comments."""
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        terms = tuple(t.strip() for t in line.split("\t") if t.strip())
        if len(terms) > 1:
            groups.append(terms)
    return tuple(groups)


@lru_cache(maxsize=1)
def dx_vocabulary() -> tuple[tuple[str, ...], ...]:
    """The municipal-DX vocabulary shipped with the code: groups of terms staff use for one thing."""
    return read_vocabulary()


@lru_cache(maxsize=8)
def group_table(groups: tuple[tuple[str, ...], ...], layer: str) -> dict[Key, tuple[str, list[Alternative]]]:
    """Lexemes of each term → (the term, the other terms of its groups), analysed once per distinct list."""
    table: dict[Key, tuple[str, list[Alternative]]] = {}
    for group in groups:
        analysed = [(tuple(search.lexemes(term)), term) for term in group]
        analysed = [(key, term) for key, term in analysed if key]
        for key, term in analysed:
            _term, alternatives = table.setdefault(key, (term, []))
            for other, other_term in analysed:
                if other != key and all(a.lexemes != other for a in alternatives):
                    alternatives.append(Alternative(other, other_term, layer))
    return table


# --- a query ----------------------------------------------------------------------------------

def _query_lexemes(query: str) -> tuple[Key, list[Key]]:
    """The query's lexemes as build_tsquery segments them (filler words dropped while others remain),
    and the other-kana analysis of each pure-kana word."""
    sequence: list[str] = []
    extra: list[Key] = []
    for own, alt in search.query_words(query):
        sequence.extend(own)
        if alt:
            extra.append(alt)
    meaningful = [lex for lex in sequence if lex not in search._QUERY_STOP]
    return tuple(meaningful or sequence), extra


def _ngrams(seq: Key) -> list[Key]:
    return [seq[i:i + size] for i in range(len(seq)) for size in range(1, min(MAX_KEY_WORDS, len(seq) - i) + 1)]


def _segments(seq: Key, keys: Iterable[Key]) -> list[Key]:
    """The keys build_tsquery will use: longest match first, left to right."""
    known = set(keys)
    used: list[Key] = []
    i = 0
    while i < len(seq):
        for size in range(min(MAX_KEY_WORDS, len(seq) - i), 0, -1):
            if seq[i:i + size] in known:
                used.append(seq[i:i + size])
                i += size
                break
        else:
            i += 1
    return used


@lru_cache(maxsize=4096)
def _sudachi_lookup(key: Key) -> tuple[str, list[Alternative]] | None:
    # Staff repeat their words: a bounded cache spares the binary search (a few hundred KB at most).
    return _sudachi.lookup(key)


def alternatives_for(sequence: Key, extra: Sequence[Key],
                     curator_groups: tuple[tuple[str, ...], ...] = ()) -> dict[Key, tuple[str, list[Alternative]]]:
    """Per n-gram of the query's lexemes that has synonyms: (its term, its alternatives, best layer first)."""
    curators = group_table(curator_groups, CURATOR)
    vocabulary = group_table(dx_vocabulary(), DX)
    found: dict[Key, tuple[str, list[Alternative]]] = {}
    # The other-kana analysis of a word joins it whole (build_tsquery), never in pieces: おんらいん read as
    # お + らいん must not bring らいん's synonyms (LINE).
    for key in dict.fromkeys([*_ngrams(sequence), *extra]):
        term = ""
        merged: list[Alternative] = []
        for source in (curators.get(key), vocabulary.get(key), _sudachi_lookup(key)):
            if source is None:
                continue
            term = term or source[0]
            for alt in source[1]:
                if alt.lexemes != key and all(m.lexemes != alt.lexemes for m in merged):
                    merged.append(alt)
        if merged:
            found[key] = (term, merged)
    return found


def expand(query: str, curator_groups: Sequence[Sequence[str]] = (), *, any_word: bool = False) -> Expanded:
    """The query's tsqueries (every expansion; strong; exact), its highlight terms and its alternatives."""
    return _expand(query, tuple(tuple(g) for g in curator_groups), any_word)


@lru_cache(maxsize=512)
def _expand(query: str, curator_groups: tuple[tuple[str, ...], ...], any_word: bool) -> Expanded:
    # The same query comes back for its next page, a facet, the export: analysed once (1-3 ms otherwise).
    sequence, extra = _query_lexemes(query)
    alternatives = alternatives_for(sequence, extra, curator_groups)
    widest = {key: [key, *(a.lexemes for a in alts)] for key, (_t, alts) in alternatives.items()}
    strong = {key: [key, *(a.lexemes for a in alts if a.strict)] for key, (_t, alts) in alternatives.items()}
    strong = {key: seqs for key, seqs in strong.items() if len(seqs) > 1}
    tsquery, terms = search.build_tsquery(query, widest, any_word=any_word)
    # Only the keys the tsquery really uses explain a match (電子申請, not 電子 on its own).
    used = [*_segments(sequence, widest), *(seq for seq in extra if seq in widest)]
    alternatives = {key: alternatives[key] for key in dict.fromkeys(used)}
    strong_text = search.build_tsquery(query, strong, any_word=any_word)[0] if strong != widest else tsquery
    exact_text = search.build_tsquery(query, any_word=any_word)[0] if alternatives else tsquery
    absorbed = _absorbed(widest)
    selection = search.build_tsquery(query, absorbed, any_word=any_word)[0] if absorbed != widest else tsquery
    return Expanded(tsquery, terms, strong_text, exact_text, alternatives, selection)


def _absorbed(table: dict[Key, list[Key]]) -> dict[Key, list[Key]]:
    """Each word's alternatives without those that contain all the lexemes of another one (A | A & B = A)."""
    kept: dict[Key, list[Key]] = {}
    for key, seqs in table.items():
        sets = [set(seq) for seq in seqs]
        kept[key] = [seq for i, seq in enumerate(seqs)
                     if not any(other < sets[i] or (other == sets[i] and j < i) for j, other in enumerate(sets))]
    return kept


# --- explaining a match ----------------------------------------------------------------------

def wanted_lexemes(expanded: Expanded) -> list[str]:
    """Every lexeme of the query words that have synonyms and of those synonyms (what a row is asked for)."""
    return sorted({lex for key, (_term, alternatives) in expanded.alternatives.items()
                   for seq in (key, *(a.lexemes for a in alternatives)) for lex in seq})


def synonym_matches(expanded: Expanded, present: Iterable[str]) -> list[SynonymMatch]:
    """For one result: each query word it does not contain but matched through a synonym, and how.

    ``present``: the row's lexemes among ``wanted_lexemes`` (or simply all of them).
    """
    if not expanded.alternatives:
        return []
    present = set(present)
    matches: list[SynonymMatch] = []
    for key, (term, alternatives) in expanded.alternatives.items():
        if set(key) <= present:
            continue
        for alt in alternatives:
            if set(alt.lexemes) <= present:
                if all(m.found != alt.term for m in matches):
                    matches.append(SynonymMatch(term, alt.term, alt.layer))
                break
    return matches


def layers_used(matches: Iterable[SynonymMatch]) -> set[str]:
    return {m.layer for m in matches}


def forget_queries() -> None:
    """Empty what this worker keeps of analysed queries and dictionary look-ups (the vocabularies stay)."""
    _expand.cache_clear()
    _sudachi_lookup.cache_clear()
    search.forget_query_words()
