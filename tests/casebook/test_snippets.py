"""Snippets and marked titles (casebook.search) found by lexeme give what the word-by-word reading gave.

The reference below is the earlier implementation, which looked at every word of the text in turn.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pytest

from casebook import search

CORPUS = Path(__file__).resolve().parents[2] / "devtools" / "data" / "casebook_corpus.jsonl"


def _marked(pieces: Iterable[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for piece, hit in pieces:
        if merged and not hit and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + piece, False)
        else:
            merged.append((piece, hit))
    return merged


def _words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(s, tuple(lex.split("\x1f")) if lex else ()) for s, lex in search.morphemes(text)]


def reference_mark_terms(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    wanted = set(terms)
    value = text or ""
    parts = [(surface, not wanted.isdisjoint(lexes)) for surface, lexes in _words(value)] if wanted else []
    if "".join(surface for surface, _hit in parts) != value or not any(hit for _s, hit in parts):
        return [(value, False)]
    return _marked(parts)


def reference_snippet(text: str, terms: Iterable[str], width: int = 120) -> list[tuple[str, bool]]:
    plain = re.sub(r"[#*_`>\[\]]", "", text or "")[:2000]
    wanted = set(terms)
    normalized = unicodedata.normalize("NFKC", plain) if wanted else ""
    if not normalized.strip():
        return search.no_hit_snippet(plain, width)
    result: list[tuple[str, bool]] = []
    pending: list[tuple[tuple[str, bool], int]] = []
    start = end = -1
    cursor = 0
    for chunk in search._chunks(normalized):
        for surface, lexes in [(s, tuple(lex.split("\x1f")) if lex else ()) for s, lex in
                               search._chunk_morphemes(chunk)]:
            hit = not wanted.isdisjoint(lexes)
            if start < 0 and hit:
                start = max(0, cursor - width // 3)
                end = start + width
                result = [("…", False)] if start > 0 else []
                result += [piece for piece, piece_end in pending if piece_end > start]
            following = cursor + len(surface)
            if start >= 0:
                if cursor >= end:
                    result.append(("…", False))
                    return _marked(result)
                if following > start:
                    result.append((surface, hit))
            else:
                pending.append(((surface, hit), following))
            cursor = following
    if start < 0:
        return search.no_hit_snippet(plain, width)
    if cursor > end:
        result.append(("…", False))
    return _marked(result)


def _texts() -> list[str]:
    texts = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        texts += [case.get(name) or "" for name in ("title", "summary", "problem", "approach", "outcomes")]
    # Lines and edges: a hit on the first and the last word, several lines, markup, a line past the window.
    texts += ["窓口", "窓口\n窓口", "## 見出し\n\n* 窓口の**改善**\n" + "あ" * 150 + "\n窓口", "", "  \n ",
              "ＲＰＡとAI-OCRで窓口業務を削減。\n" * 30, "窓口" * 100]
    return texts


TERMS = [["窓口"], ["申請", "電子"], ["rpa", "aiocr", "ai", "ocr"], ["子育て", "育児", "支援"], ["ない"],
         ["削減", "職員", "業務"], ["待つ", "待ち", "時間"], []]


@pytest.mark.parametrize("terms", TERMS)
def test_snippets_and_titles_are_those_of_the_word_by_word_reading(terms: list[str]) -> None:
    for text in _texts():
        for width in (120, 30, 7):
            assert search.snippet(text, terms, width) == reference_snippet(text, terms, width), (text[:40], width)
        assert search.mark_terms(text, terms) == reference_mark_terms(text, terms), text[:40]
