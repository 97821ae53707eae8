"""Build casebook/data/sudachi_synonyms.tsv from SudachiDict's synonym source (development only).

    python -m devtools.sudachi_synonyms ../shared/data/sudachi-synonyms/synonyms.txt

The runtime cannot read ../shared and must not run SudachiPy over 67,000 headwords at start-up, so
the expansion table is computed here once: every headword analysed exactly as the search analyses a
query (casebook.search.lexemes), then one line per trigger, sorted by its lexemes' UTF-8 bytes, so
that casebook.thesaurus can binary-search the file through a read-only memory map (the four gunicorn
workers share the page cache instead of each holding a 60,000-key dict).

Line: ``trigger lexemes (space-separated) TAB headword TAB strict TAB near``; strict and near are
``|``-separated ``lexemes=headword`` items. Expansion flags (README of the source): 0 = trigger and
target, 1 = target only (an ambiguous word: never expanded from), 2 = neither. Strict = same group and
same lexeme number; near = the group's other lexemes. Person names (人名) are left out: a surname is
no synonym of anything a casebook query asks for. So are the verb entries (flag 2 of column 1): the
search indexes a verb by its dictionary form, whose groups are loose (申し入れる, 照らし合わせる), and
chikkarpy, Sudachi's own expander, leaves verbs out by default too.
"""
from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

from casebook import search

OUT = Path(__file__).resolve().parent.parent / "casebook" / "data" / "sudachi_synonyms.tsv"
HEADER = """\
# Derived from SudachiDict's synonym dictionary source (WorksApplications/SudachiDict,
# src/main/text/synonyms.txt, release 20240109), Copyright (c) Works Applications Co., Ltd.,
# licensed under the Apache License 2.0 (LICENSE-2.0.txt beside this file).
# Modified: headwords analysed into the search's lexemes, person names and never-expanded entries left
# out, regrouped into one line per trigger. Regenerate: python -m devtools.sudachi_synonyms SOURCE.
"""
_BAD = set("|=\t\n")


def build(source: Path) -> list[str]:
    """The sorted lines of the expansion table."""
    groups: dict[str, list[list[str]]] = defaultdict(list)
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 9 or row[1] != "1" or row[2] == "2" or row[7] == "(人名)" or _BAD & set(row[8]):
                continue
            groups[row[0]].append(row)
    entries: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {}
    for rows in groups.values():
        analysed = [(" ".join(search.lexemes(r[8])), r) for r in rows]
        analysed = [(key, r) for key, r in analysed if key]
        for key, row in analysed:
            if row[2] != "0":
                continue  # expanded to, never from
            headword, strict, near = entries.setdefault(key, (row[8], {}, {}))
            for other, other_row in analysed:
                if other == key:
                    continue
                bucket = strict if other_row[3] == row[3] else near
                bucket.setdefault(other, other_row[8])
            for other in strict:
                near.pop(other, None)
    lines = []
    for key in sorted(entries, key=lambda k: k.encode("utf-8")):
        headword, strict, near = entries[key]
        if not strict and not near:
            continue
        items = ["|".join(f"{k}={v}" for k, v in bucket.items()) for bucket in (strict, near)]
        lines.append("\t".join([key, headword, *items]))
    return lines


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else Path("../shared/data/sudachi-synonyms/synonyms.txt")
    lines = build(source)
    OUT.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} triggers written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
