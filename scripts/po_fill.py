"""Fill msgstr of a .po catalogue from a JSON object {msgid: translation}; reports what is still empty.

Usage: .venv/bin/python scripts/po_fill.py path/to/messages.po translations.json
"""
from __future__ import annotations

import json
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, json_path: str | None) -> int:
    with open(po_path, "rb") as handle:
        catalog = read_po(handle, locale="ja")
    table = json.load(open(json_path, encoding="utf-8")) if json_path else {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in table:
            value = table[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    with open(po_path, "wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False, sort_output=True)
    for item in missing:
        print("MISSING:", item)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
