"""Dates, fiscal years and yen per locale (kernel/i18n.py), directly and through the template filters."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string, session
from flask_babel import refresh

from kernel.i18n import (
    fiscal_year_of,
    format_day,
    format_day_both,
    format_fiscal_year,
    format_yen,
    in_own_lang,
    lang_attr,
    wareki_year,
)


@pytest.mark.parametrize(("year", "ja", "en"), [
    (2026, "令和8年度", "FY2026"), (2020, "令和2年度", "FY2020"), (2018, "平成30年度", "FY2018"),
])
def test_fiscal_years(year: int, ja: str, en: str) -> None:
    assert format_fiscal_year(year, "ja") == ja
    assert format_fiscal_year(year, "en") == en
    assert format_fiscal_year(None, "ja") == ""


def test_fiscal_year_runs_april_to_march() -> None:
    assert fiscal_year_of(date(2026, 4, 1)) == 2026
    assert fiscal_year_of(date(2027, 3, 31)) == 2026
    assert fiscal_year_of(date(2026, 3, 31)) == 2025


def test_era_boundaries() -> None:
    assert wareki_year(2019, 4, 30) == ("平成", 31)
    assert wareki_year(2019, 5, 1) == ("令和", 1)
    assert wareki_year(1989, 1, 7) == ("昭和", 64)
    assert format_day(date(2019, 5, 1), "ja") == "2019年5月1日（令和元年）"


@pytest.mark.parametrize(("amount", "ja", "en"), [
    (1234567, "1,234,567円", "¥1,234,567"),
    (Decimal("1234567"), "1,234,567円", "¥1,234,567"),
    (Decimal("98000.50"), "98,000.50円", "¥98,000.50"),  # exact: sen are never rounded away
    (0, "0円", "¥0"),
    (-1500, "-1,500円", "-¥1,500"),
])
def test_yen(amount, ja: str, en: str) -> None:  # type: ignore[no-untyped-def]
    assert format_yen(amount, "ja") == ja
    assert format_yen(amount, "en") == en
    assert format_yen(None, "ja") == ""


def test_days() -> None:
    day = date(2026, 11, 30)
    assert format_day(day, "ja") == "2026年11月30日（令和8年）"
    assert format_day(day, "en") == "Nov 30, 2026"
    assert format_day_both(day, "ja") == "令和8年11月30日（2026年11月30日）"
    assert format_day_both(day, "en") == "30 November 2026 (Reiwa 8)"
    assert format_day_both(date(2019, 5, 1), "ja") == "令和元年5月1日（2019年5月1日）"
    # A UTC timestamp late on 31 March is already 1 April in Tokyo: the new fiscal year.
    late = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert format_day(late, "ja") == "2026年4月1日（令和8年）"


@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", "令和8年度|1,200円|2026年11月30日（令和8年）|令和8年11月30日（2026年11月30日）"),
    ("en", "FY2026|¥1,200|Nov 30, 2026|30 November 2026 (Reiwa 8)"),
])
def test_template_filters_follow_the_language(app, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        session["lang"] = lang
        text = render_template_string(
            "{{ 2026|fiscal_year }}|{{ 1200|yen }}|{{ day|day }}|{{ day|day_both }}", day=date(2026, 11, 30))
    assert text == expected


def test_lang_attr_marks_the_other_language(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert lang_attr("青梅 花子") == ' lang="ja"'
        assert lang_attr("Hanako Ome") == ""
        session["lang"] = "ja"
        refresh()  # the locale is cached per request
        assert lang_attr("青梅 花子") == ""
        assert lang_attr("Hanako Ome") == ' lang="en"'
        assert lang_attr("RPA導入") == "" and lang_attr("2026") == "" and lang_attr(None) == ""


def test_in_own_lang_wraps_the_escaped_value(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert in_own_lang("<b>窓口</b>") == '<span lang="ja">&lt;b&gt;窓口&lt;/b&gt;</span>'
        assert in_own_lang("Ome & Koto") == "Ome &amp; Koto" and in_own_lang(None) == ""
        session["lang"] = "ja"
        refresh()
        assert in_own_lang("窓口") == "窓口"
        assert in_own_lang("Hanako") == '<span lang="en">Hanako</span>'
