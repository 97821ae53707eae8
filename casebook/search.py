"""Japanese search: SudachiPy normalised forms after NFKC, stored as a precomputed tsvector.

Why not PostgreSQL's parser: its tokenizer does not segment Japanese and depends on the server's
locale. Instead every write computes the lexemes here (NFKC → SudachiPy short units → normalised
form, lower-cased; particles, auxiliaries and symbols dropped) and stores a tsvector *literal* with
positions and weights (A title, B summary/themes/tools, C body). Queries are turned into a tsquery
literal the same way, every word required (words may appear apart), each word OR-ed with its
curator-defined synonyms, so the GIN index answers the match and ts_rank only ranks the matches.
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple, Optional

from kernel.text import fold_kana

_local = threading.local()
_SKIP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}
_STOP = {"為る", "有る", "居る", "成る", "れる", "られる", "ます", "です", "こと", "もの", "よう", "など", "等", "ー"}
MAX_POSITION = 16383
_ALT = "\x1f"  # separates a word's lexeme from its alternative (never in a cleaned lexeme)


def _tokenizer() -> Any:
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import Dictionary

        # Only the fields the analysis reads (SudachiPy's subsetting): the morphemes are the same, about 15 % faster
        # (the search's snippets analyse their hits' lines on every new search, the index every published case).
        tok = Dictionary(dict="core").create(fields={"surface", "pos", "normalized_form"})
        _local.tokenizer = tok
    return tok


def normalize_text(text: str) -> str:
    """NFKC (ＡＩ－ＯＣＲ → AI-OCR) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


_HIRA_TO_KATA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30f6ー]+")
_HIRAGANA_WORD = re.compile(r"[\u3041-\u3096ー]+")


def kana_alternative(word: str) -> list[str]:
    """The lexemes of a pure-kana word written in the other kana, when they differ ([] otherwise).

    Sudachi analyses the two spellings differently (そだいごみ → 粗大 + ごみ, ソダイゴミ → one unknown
    word), so folding the lexemes is not enough: the query also searches for the other spelling's
    analysis. Rejected when that analysis contains particles or auxiliaries (ちゃっとぼっと is no word).
    """
    return list(_other_kana(word, tuple(lexemes(word))))


def _other_kana(word: str, own: tuple[str, ...]) -> tuple[str, ...]:
    """``kana_alternative`` of a word whose own lexemes are ``own``: the other spelling analysed once (its
    morphemes and whether any of them is a particle or an auxiliary come from the same tokenizer call)."""
    if _KATAKANA_WORD.fullmatch(word):
        other = fold_kana(word)
    elif _HIRAGANA_WORD.fullmatch(word):
        other = word.translate(_HIRA_TO_KATA)
    else:
        return ()
    # Kana only, no space: NFKC leaves it as it is and ``morphemes`` analyses it as one chunk (checked all the same).
    if unicodedata.normalize("NFKC", other) != other or len(other) > 4000:
        return _other_kana_analysed_twice(other, own)
    pairs, skipped = _analysed_chunk(other)
    if skipped:
        return ()
    alt = tuple(lex.split(_ALT)[0] for _s, lex in pairs if lex)
    return alt if alt and alt != own else ()


def _other_kana_analysed_twice(other: str, own: tuple[str, ...]) -> tuple[str, ...]:
    from sudachipy import SplitMode

    if any(m.part_of_speech()[0] in _SKIP_POS for m in _tokenizer().tokenize(other, SplitMode.A)):
        return ()
    alt = tuple(lexemes(other))
    return alt if alt and alt != own else ()


def _clean(lexeme: str) -> str:
    """Letters and digits only, katakana folded to hiragana (ゴミ = ごみ, サーバー = さーばー)."""
    return fold_kana("".join(ch for ch in lexeme if ch.isalnum() or ch == "ー"))


_INFLECTED = {"動詞", "形容詞"}


def morphemes(text: str) -> list[tuple[str, str]]:
    """(surface, lexeme) of every content word, lexeme '' for words that are not indexed.

    A verb or adjective also yields its surface as a second lexeme (same position, see ``_ALT``):
    「待ち時間が」 is analysed as the verb 待つ in running text but as the noun 待ち in a query.
    """
    text = unicodedata.normalize("NFKC", text or "")
    if not text.strip():
        return []
    # Sudachi refuses very long inputs: feed it by lines, in bounded chunks.
    return [pair for chunk in _chunks(text) for pair in _chunk_morphemes(chunk)]


def _chunk_morphemes(chunk: str) -> list[tuple[str, str]]:
    """``morphemes`` of one line (or bounded piece of a line) of NFKC text: each is analysed on its own."""
    return _analysed_chunk(chunk)[0]


def _analysed_chunk(chunk: str) -> tuple[list[tuple[str, str]], bool]:
    """``_chunk_morphemes`` of a chunk, and whether any of its words is a particle, an auxiliary or a symbol."""
    from sudachipy import SplitMode

    result: list[tuple[str, str]] = []
    skipped = False
    for m in _tokenizer().tokenize(chunk, SplitMode.A):
        surface = m.surface()
        pos = m.part_of_speech()[0]
        lexeme = ""
        if pos in _SKIP_POS:
            skipped = True
        else:
            lexeme = _clean(m.normalized_form().lower())
            if lexeme in _STOP:
                lexeme = ""
            elif pos in _INFLECTED:
                alt = _clean(surface.lower())
                if alt and alt != lexeme and len(alt) > 1:
                    lexeme = f"{lexeme}{_ALT}{alt}"
        result.append((surface, lexeme))
    return result, skipped


def _chunks(text: str, size: int = 4000) -> Iterable[str]:
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            yield line[:size]
            line = line[size:]
        if line:
            yield line


def lexemes(text: str) -> list[str]:
    """The main lexeme of every indexed word (what a query searches for)."""
    return [lex.split(_ALT)[0] for _s, lex in morphemes(text) if lex]


def _indexed(text: str) -> list[list[str]]:
    """Per indexed word, its lexemes (main first, then the alternative of an inflected word)."""
    return [lex.split(_ALT) for _s, lex in morphemes(text) if lex]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(weighted: Sequence[tuple[str, str]]) -> str:
    """A tsvector literal from (weight, text) parts, e.g. [("A", title), ("B", summary), ...]."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, text in weighted:
        for word in _indexed(text):
            pos = min(pos + 1, MAX_POSITION)
            for lex in word:
                slot = positions.setdefault(lex, [])
                if len(slot) < 256:
                    slot.append(f"{pos}{weight}")
        pos = min(pos + 5, MAX_POSITION)
    return " ".join(f"{_quote(lex)}:{','.join(p)}" for lex, p in positions.items())


def content_vector(data: dict[str, Any]) -> str:
    """The tsvector literal of a case's content (title A; summary, themes, tools B; the rest C)."""
    def joined(name: str) -> str:
        value = data.get(name) or []
        return "\n".join(value) if isinstance(value, list) else str(value)

    parts = [("A", data.get("title") or ""), ("B", data.get("summary") or ""), ("B", joined("themes")),
             ("B", joined("tools")), ("C", data.get("problem") or ""), ("C", data.get("approach") or ""),
             ("C", data.get("outcomes") or ""), ("C", data.get("lessons") or ""),
             ("C", data.get("replication_conditions") or ""), ("C", joined("vendors")),
             ("C", joined("products")), ("C", joined("ordinances")), ("C", data.get("department") or ""),
             ("C", " ".join(str(k.get("name", "")) for k in data.get("kpis") or [] if isinstance(k, dict)))]
    return tsvector_literal(parts)


def rank_vector(data: dict[str, Any]) -> str:
    """The small tsvector literal of the strong fields: title (A); summary, themes, tools (B)."""
    return tsvector_literal([("A", data.get("title") or ""), ("B", data.get("summary") or ""),
                             ("B", "\n".join(data.get("themes") or [])), ("B", "\n".join(data.get("tools") or []))])


_SPLIT = re.compile(r"[\s、,，。・/／]+")


def synonym_map(groups: Iterable[Sequence[str]]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Lexeme sequence of each term → the lexeme sequences of its group (including itself)."""
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for group in groups:
        seqs = [tuple(lexemes(term)) for term in group]
        seqs = [s for s in seqs if s]
        for seq in seqs:
            bucket = table.setdefault(seq, [])
            for other in seqs:
                if other not in bucket:
                    bucket.append(other)
    return table


# Words people add to a query that say nothing about the case ("…の事例", "…の方法を知りたい"):
# dropped from a query as long as something else remains.
# So are the words nearly every case of this casebook contains (導入, 効果, 活用, …).
_QUERY_STOP = {"事例", "例", "取り組み", "取組", "方法", "やり方", "けーす", "知る", "教える", "探す", "紹介",
               "について", "関する", "ほしい", "欲しい", "たい", "導入", "効果", "活用", "実施", "推進", "事業"}


def query_words(query: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each word of a query as typed (split at spaces and punctuation, at most 20) with its lexemes and the other
    kana spelling's (``kana_alternative``; () when the word has no lexeme), as ``build_tsquery`` reads them."""
    return [_word_analysis(word) for word in [w for w in _SPLIT.split(normalize_text(query)[:500]) if w][:20]]


@lru_cache(maxsize=4096)
def _word_analysis(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # A query is read five times by its expansion (its lexemes, then four tsqueries: every expansion, the strong
    # ones, the words as typed, the selection), and its words come back in the next queries: each word analysed
    # once (SudachiPy took two to six tokenizer calls per word and read, up to twenty per query). A pure function
    # of the word (the dictionary is fixed per worker); emptied with what the worker keeps per query.
    own = tuple(lexemes(word))
    return own, (_other_kana(word, own) if own else ())


def forget_query_words() -> None:
    """Empty what this worker keeps of analysed query words (see ``_word_analysis``)."""
    _word_analysis.cache_clear()


def build_tsquery(query: str, synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] | None = None,
                  *, any_word: bool = False) -> tuple[str, list[str]]:
    """(tsquery literal, every lexeme that may match) for a user's query; ('', []) when nothing to search.

    Every word is required (``any_word``: at least one of them, the fallback when no case has all).
    """
    synonyms = dict(synonyms or {})
    lex_seq: list[str] = []
    for own, alt in query_words(query):
        lex_seq.extend(own)
        if alt:
            # The other kana spelling's analysis joins the word's synonyms (and theirs join it).
            key = tuple(own)
            group = list(synonyms.get(key, [key]))
            for seq in [tuple(alt), *synonyms.get(tuple(alt), [])]:
                if seq not in group:
                    group.append(seq)
            synonyms[key] = group
    meaningful = [lex for lex in lex_seq if lex not in _QUERY_STOP]
    lex_seq = meaningful or lex_seq
    if not lex_seq:
        return "", []
    longest = max((len(k) for k in synonyms), default=1)
    clauses: list[str] = []
    highlight: set[str] = set()
    i = 0
    while i < len(lex_seq):
        matched = False
        for size in range(min(longest, len(lex_seq) - i), 0, -1):
            key = tuple(lex_seq[i:i + size])
            if key in synonyms:
                alternatives = [" & ".join(_quote(x) for x in seq) for seq in synonyms[key]]
                clauses.append("(" + " | ".join(f"({a})" for a in alternatives) + ")")
                for seq in synonyms[key]:
                    highlight.update(seq)
                i += size
                matched = True
                break
        if not matched:
            clauses.append(_quote(lex_seq[i]))
            highlight.add(lex_seq[i])
            i += 1
    return (" | " if any_word else " & ").join(dict.fromkeys(clauses)), sorted(highlight)


def _words(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(surface, its lexemes: () for a word that is not indexed) of ``morphemes``' pairs.

    Kept in this form, whether a word is a hit is one ``wanted.isdisjoint(lexemes)`` in C, not a split
    and a generator per word (a page's titles and snippets look at about a thousand words).
    """
    return tuple((surface, tuple(lexeme.split(_ALT)) if lexeme else ()) for surface, lexeme in pairs)


@dataclass(frozen=True, slots=True)
class _Words:
    """A text's words as a snippet or a title looks at them: their surfaces, where each ends, and where each
    lexeme is. Which words hold the query's lexemes is then a lookup per lexeme, not a test per word (a page's
    titles and snippets have about a thousand words, a few dozen hits)."""

    surfaces: tuple[str, ...]
    ends: tuple[int, ...]  # the offset after each word (from the start of this text)
    where: dict[str, Sequence[int]]  # lexeme -> the indexes of the words that hold it, in order

    @property
    def length(self) -> int:
        return self.ends[-1] if self.ends else 0

    def hits(self, wanted: frozenset[str] | set[str], low: int = 0, high: int = -1) -> list[int]:
        """The indexes of the words holding one of ``wanted`` (from ``low``, below ``high`` when given), in order."""
        found = {i for lexeme in wanted.intersection(self.where) for i in self.where[lexeme]}
        return sorted(i for i in found if low <= i and (high < 0 or i < high)) if low or high >= 0 else sorted(found)

    def first_hit(self, wanted: frozenset[str] | set[str]) -> int:
        """The index of the first word holding one of ``wanted`` (-1 without one)."""
        common = wanted.intersection(self.where)
        return min([self.where[lexeme][0] for lexeme in common]) if common else -1


def _indexed_words(pairs: Iterable[tuple[str, str]]) -> _Words:
    surfaces: list[str] = []
    ends: list[int] = []
    where: dict[str, list[int]] = {}
    end = 0
    for i, (surface, lexes) in enumerate(_words(pairs)):
        surfaces.append(surface)
        end += len(surface)
        ends.append(end)
        for lexeme in lexes:
            at = where.setdefault(lexeme, [])
            if not at or at[-1] != i:
                at.append(i)
    return _Words(tuple(surfaces), tuple(ends), {lexeme: tuple(at) for lexeme, at in where.items()})


@lru_cache(maxsize=256)
def _cached_words(text: str) -> _Words:
    words = _indexed_words(morphemes(text))
    # A title whose words do not give it back whole (NFKC changed it) is never marked: see mark_terms.
    return words if "".join(words.surfaces) == text else _NO_WORDS


def _pieces(out: list[tuple[str, bool]], before: str, surfaces: tuple[str, ...], low: int, high: int,
            hits: list[int]) -> str:
    """Appends to ``out`` the words ``low``..``high`` of a text as (piece, is_hit) parts, each hit a part of its
    own and the words between them joined (with ``before``, the unmarked text before them, in front); returns
    the unmarked text after the last hit, for the caller to join with what follows."""
    for i in hits:
        before += "".join(surfaces[low:i])
        if before:
            out.append((before, False))
            before = ""
        out.append((surfaces[i], True))
        low = i + 1
    return before + "".join(surfaces[low:high])


def mark_terms(text: str, terms: Iterable[str], stored: Optional[str] = None) -> list[tuple[str, bool]]:
    """The whole of a short text (a title) as (piece, is_hit) parts; [(text, False)] without a hit.

    ``stored``: the title's words as ``title_words`` wrote them when it was published (casebook.text_words), used
    instead of analysing it again when they still give the title back; None (or words of another text): analysed.
    Kept per worker (``_kept_marks``, bounded), as the snippets are: the same titles come back with the same words.
    """
    return list(_kept_marks(text or "", frozenset(terms), stored))


@lru_cache(maxsize=1024)
def _kept_marks(value: str, wanted: frozenset[str], stored: Optional[str] = None) -> tuple[tuple[str, bool], ...]:
    # A pure function of its arguments (the stored words are those of ``value``, or ignored): kept as a tuple, each
    # caller gets a list of its own.
    words = _title_words(value, stored) if wanted else None
    hits = words.hits(wanted) if words is not None else []
    if words is None or not hits:
        return ((value, False),)
    out: list[tuple[str, bool]] = []
    rest = _pieces(out, "", words.surfaces, 0, len(words.surfaces), hits)
    if rest:
        out.append((rest, False))
    return tuple(out)


_MARKUP = re.compile(r"[#*_`>\[\]]")


def snippet(text: str, terms: Iterable[str], width: int = 120, stored: Optional[str] = None) -> list[tuple[str, bool]]:
    """A short window of ``text`` around the first hit, as (piece, is_hit) parts for the template.

    The window starts a third of ``width`` before the first hit (at the start of the word there) and takes
    the words that begin within ``width`` of its start; "…" marks text cut before or after it. The text is
    analysed line by line (as ``morphemes`` does, so the pieces are the same) and only as far as the window
    after the first hit: a long body whose first hit is early costs one line. Each line's words are kept
    (per worker) with where each lexeme is, so the hits are found by lexeme, not word by word.

    The snippets themselves are kept per worker too (``_kept_snippet``, bounded): the same texts come back with
    the same words (the next page, a facet chosen, the export, the same search by another person), and a page's
    twenty snippets cost more than the rest of its hits' Python.

    ``stored``: the text's lines' words as ``snippet_words`` wrote them when it was published
    (casebook.text_words): a line whose stored words do not give it back is analysed; None: every line is.
    """
    return list(_kept_snippet(text or "", frozenset(terms), width, stored))


@lru_cache(maxsize=1024)
def _kept_snippet(text: str, wanted: frozenset[str], width: int,
                  stored: Optional[str] = None) -> tuple[tuple[str, bool], ...]:
    # A pure function of its arguments (the stored words are those of ``text``, or ignored): kept as a tuple, each
    # caller gets a list of its own.
    plain = _MARKUP.sub("", text)[:2000]
    normalized = unicodedata.normalize("NFKC", plain) if wanted else ""
    if not normalized.strip():
        return tuple(no_hit_snippet(plain, width))
    lines: list[tuple[int, _Words]] = []  # each line analysed so far, with its offset in the text
    offset = 0
    first = -1
    chunks = _line_words(normalized, stored)
    for words in chunks:
        lines.append((offset, words))
        first = words.first_hit(wanted)
        if first >= 0:
            break
        offset += words.length
    if first < 0:
        return tuple(no_hit_snippet(plain, width))
    line_offset, words = lines[-1]
    hit_at = line_offset + (words.ends[first - 1] if first else 0)
    start = max(0, hit_at - width // 3)
    end = start + width
    # The words before the first hit that end after the window's start (this line's, and earlier lines').
    before: list[str] = []
    for n, (at, line) in enumerate(reversed(lines)):
        low = bisect_right(line.ends, start - at)
        high = first if n == 0 else len(line.surfaces)
        if low < high:
            before.append("".join(line.surfaces[low:high]))
        if at <= start:
            break
    out: list[tuple[str, bool]] = []
    rest = ("…" if start > 0 else "") + "".join(reversed(before))
    low, offset = first, line_offset
    while True:
        # This line's words that begin before the window's end.
        high = min(len(words.surfaces), bisect_left(words.ends, end - offset) + 1) if end > offset else 0
        rest = _pieces(out, rest, words.surfaces, low, high, words.hits(wanted, low, high))
        if high < len(words.surfaces):
            rest += "…"  # a word of this line begins past the window
            break
        offset += words.length
        following = next(chunks, None)
        if following is None:
            if offset > end:
                rest += "…"
            break
        if offset >= end:
            rest += "…"  # the next line begins past the window
            break
        words, low = following, 0
    if rest:
        out.append((rest, False))
    return tuple(out)


def no_hit_snippet(text: str, width: int = 120) -> list[tuple[str, bool]]:
    """``snippet`` of a text without any hit: its beginning (no analysis needed)."""
    plain = _MARKUP.sub("", text or "")[:2000]
    return [(plain[:width] + ("…" if len(plain) > width else ""), False)]


@lru_cache(maxsize=512)
def _cached_line(chunk: str) -> _Words:
    # Lines come back (the same summary on the next page, in the export, a repeated query).
    return _indexed_words(_chunk_morphemes(chunk))


# Stored words (casebook.text_words): a text's words as a title or a snippet looks at them, analysed once when the
# text is published and read with the search's hits, so that a search new to the worker runs no SudachiPy on them.
# JSON (decoded in C): a title is [surfaces, {lexeme: [indexes]}] ([] for a title that is never marked, see
# ``_cached_words``); a snippet's text is a list of such pairs, one per line of what ``snippet`` analyses.


def _encoded(words: _Words) -> list[Any]:
    return [list(words.surfaces), {lexeme: list(at) for lexeme, at in words.where.items()}]


def _decoded(pair: Sequence[Any]) -> _Words:
    surfaces, where = pair
    return _Words(tuple(surfaces), tuple(accumulate(map(len, surfaces))), where)


def title_words(title: str) -> str:
    """The stored form of a title's words (``mark_terms``' ``stored``)."""
    words = _indexed_words(morphemes(title or ""))
    return json.dumps(_encoded(words) if "".join(words.surfaces) == (title or "") else [], ensure_ascii=False,
                      separators=(",", ":"))


def snippet_words(text: str) -> str:
    """The stored form of the words of each line ``snippet`` analyses of a text (``snippet``'s ``stored``)."""
    normalized = unicodedata.normalize("NFKC", _MARKUP.sub("", text or "")[:2000])
    lines = [_encoded(_indexed_words(_chunk_morphemes(chunk))) for chunk in _chunks(normalized)] \
        if normalized.strip() else []
    return json.dumps(lines, ensure_ascii=False, separators=(",", ":"))


class WordsPiece(NamedTuple):
    """The words of a piece of text, ready to be joined with others' (``joined_words``): its surfaces as JSON (without
    the brackets), how many, the text they give back, where each lexeme is (``_Words.where``), and that as JSON
    (without the braces) by the number of surfaces before the piece, as far as asked for."""

    surfaces_json: str
    surface_count: int
    text: str
    where: dict[str, Sequence[int]]
    rendered: dict[int, str]


def words_piece(pairs: list[tuple[str, str]]) -> WordsPiece:
    """``WordsPiece`` of a piece's ``morphemes``."""
    words = _indexed_words(pairs)
    return WordsPiece(json.dumps(list(words.surfaces), ensure_ascii=False, separators=(",", ":"))[1:-1],
                      len(words.surfaces), "".join(words.surfaces), words.where, {})


@lru_cache(maxsize=65536)
def _lexeme_json(lexeme: str) -> str:
    return json.dumps(lexeme, ensure_ascii=False)


def _rendered(piece: WordsPiece, offset: int) -> str:
    found = piece.rendered.get(offset)
    if found is None:
        found = piece.rendered[offset] = ",".join(
            f"{_lexeme_json(lexeme)}:[{','.join(str(i + offset) for i in at)}]" for lexeme, at in piece.where.items())
    return found


def joined_words(pieces: Sequence[WordsPiece]) -> str:
    """The stored form (``_encoded``, as JSON) of the words of the pieces' texts joined, as ``_indexed_words`` gives it
    for their morphemes one after the other: the pieces' surfaces in turn, each lexeme's indexes in turn (shifted by
    the surfaces before them), the lexemes in the order they first appear. Text by text, JSON fragments are joined
    instead of the words being indexed and encoded again (the generators store some 130,000 texts)."""
    offsets: list[int] = []
    seen: set[str] = set()
    offset, shared = 0, False
    for piece in pieces:
        offsets.append(offset)
        offset += piece.surface_count
        shared = shared or not seen.isdisjoint(piece.where)
        seen.update(piece.where)
    if not shared:  # each lexeme in one piece only: the pieces' fragments as they are
        lexemes = ",".join(r for r in (_rendered(p, at) for p, at in zip(pieces, offsets, strict=True)) if r)
    else:
        where: dict[str, list[int]] = {}
        for piece, at in zip(pieces, offsets, strict=True):
            for lexeme, indexes in piece.where.items():
                where.setdefault(lexeme, []).extend(i + at for i in indexes)
        lexemes = ",".join(f"{_lexeme_json(lexeme)}:[{','.join(map(str, at))}]" for lexeme, at in where.items())
    surfaces = ",".join(piece.surfaces_json for piece in pieces if piece.surface_count)
    return f"[[{surfaces}],{{{lexemes}}}]"


def is_one_line(text: str) -> bool:
    """Whether ``snippet`` analyses ``text`` whole as one line (no markup, not cut, not blank, one line after NFKC):
    then the words of that line are those of ``morphemes(text)``."""
    if len(text) > 2000 or _MARKUP.search(text):
        return False
    normalized = unicodedata.normalize("NFKC", text)
    return bool(normalized.strip()) and len(list(_chunks(normalized))) == 1


def _title_words(title: str, stored: Optional[str]) -> _Words:
    """The title's words: the stored ones when they give the title back (a title never marked is stored as [])."""
    if stored is not None:
        if stored == "[]":  # (most titles that hold a query's words, in the bench's data: no JSON decoded for them)
            return _NO_WORDS
        pair = json.loads(stored)
        if not pair:
            return _NO_WORDS
        words = _decoded(pair)
        if "".join(words.surfaces) == title:
            return words
    return _cached_words(title)


_NO_WORDS = _Words((), (), {})


def _line_words(normalized: str, stored: Optional[str]) -> Iterator[_Words]:
    """The words of each line of ``normalized`` (as ``_chunks`` cuts it), in order, as far as the caller reads: the
    stored ones (decoded when reached) while they match the lines' lengths, else analysed (``_cached_line``)."""
    lines = json.loads(stored) if stored is not None else []
    for n, chunk in enumerate(_chunks(normalized)):
        words = _decoded(lines[n]) if n < len(lines) else None
        yield words if words is not None and words.length == len(chunk) else _cached_line(chunk)


def forget_texts() -> None:
    """Empty what this worker keeps of analysed texts: lines, titles, snippets and marked titles (the benchmark
    times a search as a worker meets it the first time: casebook.queries.forget_recent_searches)."""
    for kept_function in (_cached_words, _kept_marks, _kept_snippet, _cached_line):
        kept_function.cache_clear()
