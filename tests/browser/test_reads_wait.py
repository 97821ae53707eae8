"""Browser journeys read the page only once the page they read has loaded.

A click that navigates returns as soon as the new document is committed, before it is parsed.
`content()`, `count()`, `is_visible()`, `is_checked()`, `is_hidden()` and `all()` do not wait: read
straight after such a click they see an empty or half-built page, and the journey fails now and then
(`'期限超過' in ''` failed CI once). Such reads go through `expect(...)`, which waits for its condition,
or come after something that waited (`wait_for_url`, `wait_for`, `expect`, `goto`). This test finds a
non-waiting read on the line after a click or a key press.
"""
from __future__ import annotations

import re
from pathlib import Path

NON_WAITING = re.compile(r"\.(content|count|is_visible|is_checked|is_hidden|all)\(\)")
ACTION = re.compile(r"\.(click|press|check|select_option)\(")


def _statements(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, line.strip()) for number, line in enumerate(lines, 1)
            if line.strip() and not line.strip().startswith("#")]


def test_no_non_waiting_read_right_after_an_action() -> None:
    offenders = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        statements = _statements(path)
        for (_, before), (number, line) in zip(statements, statements[1:], strict=False):
            if ACTION.search(before) and NON_WAITING.search(line) and "expect(" not in line:
                offenders.append(f"{path.name}:{number}: {line}")
    assert not offenders, "read with expect(...) after a click:\n" + "\n".join(offenders)
