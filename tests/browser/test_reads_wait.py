"""Browser journeys read the page only once the page they read has loaded.

A click that navigates returns as soon as the new document is committed, before it is parsed.
`content()`, `count()`, `is_visible()`, `is_checked()`, `is_hidden()` and `all()` do not wait: read
straight after such a click they see an empty or half-built page, and the journey fails now and then
(`'期限超過' in ''` failed CI once). Such reads go through `expect(...)`, which waits for its condition,
or come after something that waited (`wait_for_url`, `wait_for`, `expect`, `goto`). This test finds a
non-waiting read after a click or a key press, before anything waited.
"""
from __future__ import annotations

import re
from pathlib import Path

NON_WAITING = re.compile(r"\.(content|count|is_visible|is_checked|is_hidden|is_enabled|is_disabled|all)\(\)")
ACTION = re.compile(r"\.(click|dblclick|press|check|uncheck|select_option|set_input_files)\(")
# What waits for the page: an explicit wait, an assertion through expect(...), a navigation, or a locator
# read that waits for its element. After one of these the next reads see the new page.
SETTLES = re.compile(r"wait_for|expect\(|expect_navigation|\.goto\(|\.(inner_text|text_content|inner_html|"
                     r"get_attribute|input_value|fill)\(")


def non_waiting_reads(text: str) -> list[tuple[int, str]]:
    """Lines that read without waiting while an action's page may still be loading.

    Reads are checked until something waited, not only on the next line: the audit journey read
    `rows.count()` two lines after its click (a `locator()` between them waits for nothing) and
    failed CI once with an empty list.
    """
    found = []
    unsettled = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("def "):
            unsettled = False
        if unsettled and NON_WAITING.search(line) and "expect(" not in line:
            found.append((number, line))
        if SETTLES.search(line):
            unsettled = False
        if ACTION.search(line):
            unsettled = True
    return found


def test_the_scan_finds_a_read_lines_after_the_click() -> None:
    journey = """
    page.get_by_role("button", name="絞り込む").click()
    rows = page.locator("table.audit-log tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    page.wait_for_url("**/admin/audit*")
    assert rows.count() == 3
"""
    assert [number for number, _ in non_waiting_reads(journey)] == [4]


def test_no_non_waiting_read_after_an_action() -> None:
    offenders = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        offenders += [f"{path.name}:{number}: {line}"
                      for number, line in non_waiting_reads(path.read_text(encoding="utf-8"))]
    assert not offenders, "read with expect(...) after a click:\n" + "\n".join(offenders)
