"""Japanese search: SudachiPy normalised forms after NFKC, stored as a precomputed tsvector.

Why not PostgreSQL's parser: its tokenizer does not segment Japanese and depends on the server's
locale. Instead every write computes the lexemes here (NFKC → SudachiPy short units → normalised
form, lower-cased; particles, auxiliaries and symbols dropped) and stores a tsvector *literal* with
positions and weights (A title, B summary/themes/tools, C body). Queries are turned into a tsquery
literal the same way, every word required (words may appear apart), each word OR-ed with its
curator-defined synonyms, so the GIN index answers the match and ts_rank only ranks the matches.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

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

        tok = Dictionary(dict="core").create()
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
    from sudachipy import SplitMode

    if _KATAKANA_WORD.fullmatch(word):
        other = fold_kana(word)
    elif _HIRAGANA_WORD.fullmatch(word):
        other = word.translate(_HIRA_TO_KATA)
    else:
        return []
    morphs = list(_tokenizer().tokenize(other, SplitMode.A))
    if any(m.part_of_speech()[0] in _SKIP_POS for m in morphs):
        return []
    alt = lexemes(other)
    return alt if alt and alt != lexemes(word) else []


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
    from sudachipy import SplitMode

    result: list[tuple[str, str]] = []
    for m in _tokenizer().tokenize(chunk, SplitMode.A):
        surface = m.surface()
        pos = m.part_of_speech()[0]
        lexeme = ""
        if pos not in _SKIP_POS:
            lexeme = _clean(m.normalized_form().lower())
            if lexeme in _STOP:
                lexeme = ""
            elif pos in _INFLECTED:
                alt = _clean(surface.lower())
                if alt and alt != lexeme and len(alt) > 1:
                    lexeme = f"{lexeme}{_ALT}{alt}"
        result.append((surface, lexeme))
    return result


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


def build_tsquery(query: str, synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] | None = None,
                  *, any_word: bool = False) -> tuple[str, list[str]]:
    """(tsquery literal, every lexeme that may match) for a user's query; ('', []) when nothing to search.

    Every word is required (``any_word``: at least one of them, the fallback when no case has all).
    """
    synonyms = dict(synonyms or {})
    words = [w for w in _SPLIT.split(normalize_text(query)[:500]) if w]
    lex_seq: list[str] = []
    for word in words[:20]:
        own = lexemes(word)
        lex_seq.extend(own)
        alt = kana_alternative(word) if own else []
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


@lru_cache(maxsize=256)
def _cached_words(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return _words(morphemes(text))


def _marked(pieces: Iterable[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """(piece, is_hit) parts with neighbouring unmarked pieces joined."""
    merged: list[tuple[str, bool]] = []
    for piece, hit in pieces:
        if merged and not hit and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + piece, False)
        else:
            merged.append((piece, hit))
    return merged


def mark_terms(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """The whole of a short text (a title) as (piece, is_hit) parts; [(text, False)] without a hit."""
    wanted = set(terms)
    value = text or ""
    parts = [(surface, not wanted.isdisjoint(lexes)) for surface, lexes in _cached_words(value)] if wanted else []
    if "".join(surface for surface, _hit in parts) != value or not any(hit for _s, hit in parts):
        return [(value, False)]
    return _marked(parts)


def snippet(text: str, terms: Iterable[str], width: int = 120) -> list[tuple[str, bool]]:
    """A short window of ``text`` around the first hit, as (piece, is_hit) parts for the template.

    The text is analysed line by line (as ``morphemes`` does, so the pieces are the same) and only as
    far as the window after the first hit: a long body whose first hit is early costs one line.
    """
    plain = re.sub(r"[#*_`>\[\]]", "", text or "")[:2000]
    wanted = set(terms)
    normalized = unicodedata.normalize("NFKC", plain) if wanted else ""
    if not normalized.strip():
        return no_hit_snippet(plain, width)
    result: list[tuple[str, bool]] = []
    pending: list[tuple[tuple[str, bool], int]] = []  # pieces before the first hit (and where each ends)
    start = end = -1  # the window, once the first hit is known
    cursor = 0
    for chunk in _chunks(normalized):
        for surface, lexes in _cached_chunk_words(chunk):
            hit = not wanted.isdisjoint(lexes)
            if start < 0 and hit:
                start = max(0, cursor - width // 3)
                end = start + width
                result = [("…", False)] if start > 0 else []
                # The pieces before the hit that reach into the window (analysed already).
                result += [piece for piece, piece_end in pending if piece_end > start]
            following = cursor + len(surface)
            if start >= 0:
                if cursor >= end:
                    # Past the window: the text goes on (this piece at least), hence the ellipsis.
                    result.append(("…", False))
                    return _marked(result)
                if following > start:
                    result.append((surface, hit))
            else:
                pending.append(((surface, hit), following))
            cursor = following
        if start < 0:
            pending = [item for item in pending if item[1] > cursor - width // 3]
    if start < 0:
        return no_hit_snippet(plain, width)
    if cursor > end:
        result.append(("…", False))
    return _marked(result)


def no_hit_snippet(text: str, width: int = 120) -> list[tuple[str, bool]]:
    """``snippet`` of a text without any hit: its beginning (no analysis needed)."""
    plain = re.sub(r"[#*_`>\[\]]", "", text or "")[:2000]
    return [(plain[:width] + ("…" if len(plain) > width else ""), False)]


@lru_cache(maxsize=512)
def _cached_chunk_words(chunk: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # Lines come back (the same summary on the next page, in the export, a repeated query).
    return _words(_chunk_morphemes(chunk))
