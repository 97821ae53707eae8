"""The search page's view helpers (casebook/views/search_page.py, links.py) give what the template expressions
they replace gave: the same language attributes, the same links, the same labels in each language."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask_babel import force_locale
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from casebook.helpers import facet_label
from casebook.queries import Filters, Result
from casebook.views import search_page
from casebook.views.links import SearchLinks, _encode, quote_value
from kernel.i18n import in_own_lang, lang_attr

SAMPLES = ["窓口", "RPA", "AI-OCR", "LINE公式アカウント", "2024", "", "ｶﾀｶﾅ", "e-Tax", "ABC", "Ｅｘｃｅｌ", None,
           "<b>&"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_language_given_matches_the_language_of_the_request(app: Flask, lang: str) -> None:
    with app.test_request_context("/"), force_locale(lang):
        for text in SAMPLES:
            assert lang_attr(text, lang) == lang_attr(text), text  # the language given = the request's
            assert in_own_lang(text, lang) == in_own_lang(text), text


def test_marked_pieces_are_escaped_like_the_macro() -> None:
    parts = [("<申請>", False), ("窓口", True), (" & ", False)]
    assert search_page.marked_html(parts) == f"{escape('<申請>')}<mark>窓口</mark>{escape(' & ')}"


def test_links_encode_like_urlencode() -> None:
    params: dict[str, list[str]] = {"q": ["書かない 窓口&x=1"], "theme": ["子育て", "a+b/c"], "page": ["2"],
                                    "more": ["tool"], "kind": ["~._-"]}
    assert _encode(params) == urlencode(params, doseq=True)


def test_facet_labels_are_kept_per_language(app: Flask) -> None:
    result = Result([], 3, False, 1, 1, [], facets={"kind": [("city", 2), ("town", 1)], "stage": [("pilot", 3)],
                                                      "fiscal_year": [("2024", 3)], "theme": [("窓口", 3)]})
    filters = Filters(kind=["city"])
    shown: dict[str, Any] = {}
    for lang in ("ja", "en", "ja"):
        with app.test_request_context("/casebook?kind=city"), force_locale(lang):
            links = SearchLinks(MultiDict([("kind", "city")]))
            facets = search_page.facets_view(result, filters, links, None)
            for name, facet in facets.items():
                for value in facet.values:
                    # The label the template computed before (facet_label, in_own_lang) in this language.
                    assert value.shown == facet_label(name, value.value)
                    assert value.html == in_own_lang(value.shown)
                    assert value.href == links.toggle(name, value.value)
            shown[lang] = {(n, v.value): v.shown for n, f in facets.items() for v in f.values}
            assert [v.chosen for v in facets["kind"].values] == [True, False]
    assert shown["ja"][("kind", "city")] != shown["en"][("kind", "city")]  # a kept label never crosses languages
    assert shown["ja"][("theme", "窓口")] == shown["en"][("theme", "窓口")] == "窓口"


def test_a_facets_links_come_from_one_link_the_same_as_toggle(app: Flask) -> None:
    args = MultiDict([("q", "書かない 窓口&x=1"), ("theme", "子育て"), ("page", "3"), ("sort", "newest"),
                      ("kind", "city"), ("more", "tool")])
    with app.test_request_context("/casebook"):
        links = SearchLinks(args)
        for name in ("theme", "tool", "kind", "region", "fiscal_year", "stage"):
            adding = links.adding(name)
            assert adding is not None
            head, tail, head_html, tail_html = adding
            for value in [v for v in SAMPLES if v is not None and v not in args.getlist(name)]:
                assert head + quote_value(value) + tail == links.toggle(name, value), (name, value)
                assert head_html + quote_value(value) + tail_html == escape(links.toggle(name, value))
        # The stand-in among the page's own arguments: each link is built on its own.
        assert SearchLinks(MultiDict([("theme", "\ue000")])).adding("theme") is None


def test_text_is_escaped_like_markupsafe() -> None:
    for text in [*(t for t in SAMPLES if t is not None), "<a href='x' title=\"y\">&amp;</a>", "&#39;", "\x00<>"]:
        assert search_page.text_html(text) == str(escape(text)), text


@pytest.mark.parametrize("root", ["", "/yokoten"])
def test_a_hits_link_is_url_for_the_entry_under_any_script_root(app: Flask, root: str) -> None:
    from types import SimpleNamespace

    from flask import url_for

    from casebook.queries import Hit
    from tenants.models import TenantRow

    entry = SimpleNamespace(id=62031, title="窓口の<改革>", fiscal_year=2024, stage="pilot", adoption_count=3)
    hit = Hit(entry, TenantRow("131016", "台東区", "Taito City", "special_ward", "ku_area"), 1.0,
              [("…窓口で", False), ("申請", True)], [("窓口の<改革>", False)])
    for _ in range(2):  # built once, then kept per app and script root
        with app.test_request_context("/casebook", base_url=f"http://localhost{root}"):
            html = str(search_page.hits_view([hit]))
            assert f'<a href="{escape(url_for("casebook.casebook_entry", entry_id=62031))}">' in html
            assert f'href="{root}/casebook/62031"' in html and "窓口の&lt;改革&gt;" in html


@pytest.mark.parametrize("root", ["", "/portal"])
def test_the_export_link_is_url_for_the_export_with_the_pages_arguments(app: Flask, root: str) -> None:
    # SearchLinks.export puts the page's arguments (but "more") behind the export's route built once, encoded as
    # url_for encodes a query string (werkzeug leaves !$'()*,/:;?@ as they are, where quote_plus does not).
    from flask import url_for

    cases = [[], [("more", "tool")],
             [("q", "<b>窓口</b> & 'x' (a/b): c;d?e@f!g$h*i,j"), ("theme", "子育て"), ("theme", "a+b/c"),
              ("more", "theme"), ("page", "3"), ("sort", "newest"), ("kind", "~._-"), ("q", "")]]
    for args in cases:
        with app.test_request_context("/casebook", base_url=f"http://localhost{root}"):
            links = SearchLinks(MultiDict(args))
            expected = url_for("casebook.casebook_export", **{k: v for k, v in MultiDict(args).to_dict(flat=False)
                                                               .items() if k != "more" and any(v)})
            assert links.export() == expected, args
