"""Blind review: what judges see instead of the entrant — in text, file names and PDF metadata."""
from __future__ import annotations

import hashlib
import hmac
import io
import re
from functools import lru_cache
from typing import Protocol

from pypdf import PdfReader, PdfWriter

MASK = "〇〇"
_SUFFIXES = ("市", "区", "町", "村")
# Kind words written after a romanised name: masking the name alone ("〇〇 City") would still tell
# the judge which kind of municipality it is, so the word goes with the name.
_KIND_WORDS = r"(?:[\s-]*(?:city|ward|town|village|shi|ku|machi|cho|chou|mura|son))?(?:\s+office)?"
_KIND_PREFIX = r"(?:(?:the\s+)?(?:city|town|village)\s+of\s+)?"
_KANA_KIND = ("し", "く", "まち", "ちょう", "むら", "そん")

_ROMAJI = {
    "きゃ": "kya", "きゅ": "kyu", "きょ": "kyo", "しゃ": "sha", "しゅ": "shu", "しょ": "sho", "ちゃ": "cha",
    "ちゅ": "chu", "ちょ": "cho", "にゃ": "nya", "にゅ": "nyu", "にょ": "nyo", "ひゃ": "hya", "ひゅ": "hyu",
    "ひょ": "hyo", "みゃ": "mya", "みゅ": "myu", "みょ": "myo", "りゃ": "rya", "りゅ": "ryu", "りょ": "ryo",
    "ぎゃ": "gya", "ぎゅ": "gyu", "ぎょ": "gyo", "じゃ": "ja", "じゅ": "ju", "じょ": "jo", "びゃ": "bya",
    "びゅ": "byu", "びょ": "byo", "ぴゃ": "pya", "ぴゅ": "pyu", "ぴょ": "pyo",
}
_ROMAJI1 = dict(zip(
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげご"
    "ざじずぜぞだぢづでどばびぶべぼぱぴぷぺぽ",
    ["a", "i", "u", "e", "o", "ka", "ki", "ku", "ke", "ko", "sa", "shi", "su", "se", "so", "ta", "chi", "tsu",
     "te", "to", "na", "ni", "nu", "ne", "no", "ha", "hi", "fu", "he", "ho", "ma", "mi", "mu", "me", "mo", "ya",
     "yu", "yo", "ra", "ri", "ru", "re", "ro", "wa", "o", "n", "ga", "gi", "gu", "ge", "go", "za", "ji", "zu",
     "ze", "zo", "da", "ji", "zu", "de", "do", "ba", "bi", "bu", "be", "bo", "pa", "pi", "pu", "pe", "po"],
    strict=True))


def romanised(kana: str) -> set[str]:
    """Hepburn spellings of a kana name as people write them: ōme, ome, oume, ohme (lower case)."""
    out, i = "", 0
    while i < len(kana):
        pair = kana[i:i + 2]
        if pair in _ROMAJI:
            out, i = out + _ROMAJI[pair], i + 2
        elif kana[i] == "っ" and i + 1 < len(kana):
            nxt = _ROMAJI.get(kana[i + 1:i + 3]) or _ROMAJI1.get(kana[i + 1], "")
            out, i = out + (nxt[:1] if nxt[:2] != "ch" else "t"), i + 1
        else:
            out, i = out + _ROMAJI1.get(kana[i], ""), i + 1
    variants = {out}
    for long_vowel, short in (("ou", "o"), ("oo", "o"), ("uu", "u")):
        variants |= {v.replace(long_vowel, short) for v in variants}
        variants |= {v.replace(long_vowel, short + "h") for v in variants if long_vowel == "ou"}
        variants |= {v.replace(long_vowel, {"o": "ō", "u": "ū"}[short]) for v in variants}
    return {v for v in variants if len(v) >= 2}


class MunicipalityNames(Protocol):
    """What the redaction reads of a municipality: a ``Tenant``, or a page's plain row of its names."""

    @property
    def name_ja(self) -> str: ...

    @property
    def name_en(self) -> str: ...

    @property
    def name_kana(self) -> str: ...


def entrant_names(tenant: MunicipalityNames) -> list[str]:
    """Every way the municipality's name is likely to be written (longest first)."""
    return list(_entrant_names(tenant.name_ja, tenant.name_en, tenant.name_kana))


@lru_cache(maxsize=1024)
def _entrant_names(name_ja: str, name_en: str, name_kana: str) -> tuple[str, ...]:
    # A pure function of the three names: kept per worker (a blind page redacts seven texts; issue 25.5).
    names = {name_ja, name_en, name_kana}
    if name_ja.endswith(_SUFFIXES) and len(name_ja) >= 3:
        names.add(name_ja[:-1])
    for suffix in (" City", " Ward", " Town", " Village"):
        if name_en.endswith(suffix):
            names.add(name_en[: -len(suffix)])
    kana = name_kana or ""
    for kind in _KANA_KIND:
        if kana.endswith(kind) and len(kana) > len(kind) + 1:
            names.add(kana[: -len(kind)])
            names |= romanised(kana[: -len(kind)])
            break
    return tuple(sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True))


def redact(text: str, tenant: MunicipalityNames) -> str:
    """Replace the entrant's name in free text with 〇〇, with the kind word that follows a romanised name
    ("Ome City", "Oume-shi" → 〇〇), case-insensitive, only as a whole word in Latin script."""
    for pattern in _patterns(tenant.name_ja, tenant.name_en, tenant.name_kana):
        text = pattern.sub(MASK, text)
    return text


@lru_cache(maxsize=1024)
def _patterns(name_ja: str, name_en: str, name_kana: str) -> tuple[re.Pattern[str], ...]:
    """The redaction's patterns for one municipality, longest name first (applied in turn), compiled once."""
    patterns = []
    for name in _entrant_names(name_ja, name_en, name_kana):
        if name.isascii() or any(ch in "ōū" for ch in name):
            pattern = r"(?<![A-Za-z])" + _KIND_PREFIX + re.escape(name) + _KIND_WORDS + r"(?![A-Za-z])"
        else:
            pattern = re.escape(name)
        patterns.append(re.compile(pattern, re.IGNORECASE))
    return tuple(patterns)


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def judge_code(submission_id: int) -> str:
    """The label and URL key judges know an entry by: keyed-hash, so it reveals neither the entrant, nor
    the order of submission, nor how many other (hidden or conflicted) entries exist."""
    from flask import current_app

    return _code(str(current_app.secret_key or "").encode(), submission_id)


@lru_cache(maxsize=65536)
def _code(key: bytes, submission_id: int) -> str:
    # A pure function of the app's key and the id, the same for every judge and every municipality: kept per
    # worker (a judge's list and scoring page compute it for every entry of the programme; issue 25.5).
    digest = hmac.new(key, f"award-submission:{submission_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(6):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "R-" + "".join(chars)


def anonymous_filename(position: int) -> str:
    return f"attachment-{position}.pdf"


def strip_pdf_metadata(data: bytes) -> bytes:
    """Copy the pages into a new PDF without the document information and XMP metadata."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
