"""The awards pages are complete in English: no Japanese in the interface's own words."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import login
from tests.factories.awards import jp

JAPANESE = re.compile(r"[\u3041-\u30fa\u30fc-\u30ff\u3400-\u9fff\uff66-\uff9f々〆〇]")
CHROME = {"button", "label", "legend", "caption", "th", "dt", "summary", "nav"}


class _Chrome(HTMLParser):
    """Text of interface elements, leaving out data marked data-content, selects and textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        names = dict(attrs)
        skip = "data-content" in names or tag in ("select", "textarea", "script", "style") \
            or names.get("lang", "en") != "en"
        if tag not in ("input", "br", "meta", "link", "img"):
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if any(skip for _t, skip in self.stack):
            return
        if any(t in CHROME for t, _s in self.stack) and data.strip():
            self.found.append(data.strip())


@pytest.mark.parametrize(("who", "paths"), [
    ("curator", ["/awards/", "/awards/programmes/{p}", "/awards/programmes/{p}/edit", "/awards/programmes/{p}/judges",
                 "/awards/programmes/{p}/results", "/awards/programmes/{p}/submissions", "/awards/judges/{j}",
                 "/awards/programmes/new"]),
    ("judge", ["/awards/judging/{p}", "{score}"]),
    ("tenant_admin", ["/awards/programmes/{p}", "/awards/entries/{e}", "/awards/programmes/{p}/entries/new",
                      "/awards/entries/{e}/print"]),
])
def test_english_interface_is_complete(client, scenario, who, paths) -> None:  # type: ignore[no-untyped-def]
    login(client, who)
    client.post("/lang", data={"lang": "en", "next": "/awards/"})
    problems = []
    for template in paths:
        path = template.format(p=scenario.programme_id, j=scenario.judge_id, e=scenario.entry_own,
                               score=jp(client, scenario, scenario.submission_own))
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, path
        parser = _Chrome()
        parser.feed(html)
        problems += [f"{path}: {text}" for text in parser.found if JAPANESE.search(text)]
    assert not problems, "\n".join(problems)
