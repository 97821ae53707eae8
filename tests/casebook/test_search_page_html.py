"""The search page's content is written in Python (casebook/views/search_page.py, page_html; issue 22.4): the same
HTML as the template block it replaced (kept in former_search_content.html), rendered here beside it, for pages
with and without words, chosen filters, errors, suggestions, the any-word notice, a facet expanded, and several
pages, for a curator and a member, in both languages."""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, render_template_string, request, session
from markupsafe import Markup

from casebook.queries import FACETS_SHOWN, Result, parse_filters
from casebook.views import search_page
from casebook.views.links import SearchLinks

FORMER = (Path(__file__).parent / "former_search_content.html").read_text(encoding="utf-8")

FACETS = {"theme": [(f"テーマ{n}", 40 - n) for n in range(20)], "tool": [("RPA", 9), ("<b>&'x'", 3)],
          "kind": [("city", 7), ("special_ward", 5)], "region": [("tama", 6)],
          "fiscal_year": [(str(year), 2) for year in range(2026, 2008, -1)], "stage": [("pilot", 4)]}
TOTALS = {"theme": 20, "tool": 2, "kind": 2, "region": 1, "fiscal_year": 18, "stage": 1}

# (query string, the search's result fields, suggestions)
PAGES: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
    ({"q": "窓口"}, {"total": 500, "capped": True, "page": 1, "pages": 25}, []),
    ({"q": "窓口", "theme": ["テーマ3", "テーマ1"], "kind": "city", "fiscal_year": "2024", "more": "theme",
      "page": "2"}, {"total": 45, "capped": False, "page": 2, "pages": 3, "any_word": True}, []),
    ({"q": "<b>窓口</b> & 'x'", "stage": ["bogus", "pilot"], "sort": "bad", "page": "x", "more": "fiscal_year"},
     {"total": 3, "capped": False, "page": 1, "pages": 1}, []),
    ({"q": "キャッシュレ", "tool": "<b>&'x'", "sort": "newest"}, {"total": 0, "capped": False, "page": 1, "pages": 1},
     ["キャッシュレス", "<i>&"]),
    ({"sort": "adopted", "page": "3", "region": "tama"}, {"total": 60, "capped": False, "page": 3, "pages": 3}, []),
    ({"q": "a", "more": "tool"}, {"total": 0, "capped": False, "page": 1, "pages": 1}, ["b"]),
]

HITS = Markup('\n    <li class="hit" data-testid="hit">…</li>\n  ')


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("can_curate", [True, False])
@pytest.mark.parametrize("case", range(len(PAGES)))
@pytest.mark.parametrize("root", ["", "/yokoten"])
def test_the_content_is_the_former_templates(app: Flask, lang: str, can_curate: bool, case: int, root: str) -> None:
    args, fields, suggestions = PAGES[case]
    # Under a script root too: the page's links are kept per app and script root.
    with app.test_request_context(f"/casebook?{urlencode(args, doseq=True)}", base_url=f"http://localhost{root}"):
        session["lang"] = lang
        filters, errors = parse_filters(request.args)
        result = Result([], facets=FACETS if fields["total"] else {}, facet_totals=TOTALS, terms=[], **fields)
        expanded = request.args.get("more")
        links = SearchLinks(request.args)
        facets = search_page.facets_view(result, filters, links, expanded)
        hits = HITS if fields["total"] else Markup("")
        expected = render_template_string(FORMER, filters=filters, errors=errors, result=result,
                                          facets_shown=FACETS_SHOWN, links=links, suggestions=suggestions,
                                          facets=facets, hits=hits, can_curate=can_curate)
        html = search_page.page_html(filters, errors, result, links, suggestions, facets, hits, can_curate,
                                     expanded, FACETS_SHOWN)
        assert str(html) == expected
        assert str(search_page.title_text()) == render_template_string('{{ _("Casebook") }}')
    assert ("/curation/synonyms" in expected) == can_curate
    assert f'href="{root}/casebook?' in expected
    if case == 1:  # every part of the page is there
        for part in ('data-testid="remove-theme"', 'data-testid="clear-filters"', 'data-testid="facet-fewer-theme"',
                     'data-testid="facet-more-fiscal_year"', 'data-testid="any-word"', 'class="pagination"'):
            assert part in expected, part
    if case == 2:
        assert 'class="error-summary"' in expected and "&lt;b&gt;窓口&lt;/b&gt; &amp; &#39;x&#39;" in expected
    if case == 3:
        assert 'data-testid="did-you-mean"' in expected and "&lt;i&gt;&amp;" in expected
