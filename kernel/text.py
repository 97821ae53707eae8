"""Text helpers shared by the domains and tenants (kept below them so neither copies the other)."""
from __future__ import annotations

_KATA_TO_HIRA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def fold_kana(text: str) -> str:
    """Katakana folded to hiragana (ゴミ → ごみ): the one kana fold of the portal."""
    return text.translate(_KATA_TO_HIRA)
