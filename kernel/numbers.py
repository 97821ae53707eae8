"""Whole numbers typed by people (forms, query strings, Excel cells): one parser, so that no view calls
int() on raw text.

ASCII and full-width digits are read (an IME types the latter). Characters that ``str.isdigit()``
accepts but ``int()`` does not ('²', '①') are refused, and so is anything longer than 18 digits: that is
beyond PostgreSQL's bigint, and ``int()`` itself fails with an error past 4,300 digits.
"""
from __future__ import annotations

import re
from typing import Optional

_WHOLE = re.compile(r"-?\d{1,18}")  # \d: Unicode decimal digits, exactly what int() reads


def parse_whole(text: object, *, negative: bool = False) -> Optional[int]:
    """The integer written in ``text`` (surrounding spaces ignored), or None when it is not one."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if value >= 0 or negative else None
