"""Whole numbers typed by people: one parser (kernel.numbers), and the pages that use it never answer 500."""
from __future__ import annotations

import pytest

from kernel.numbers import parse_whole
from tests.conftest import login


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 7 ", 7), ("１２", 12), ("0", 0), ("9" * 18, int("9" * 18)),
    # str.isdigit() accepts '²' and '①', int() does not: they were a 500 on the judge's scoring page
    ("²", None), ("①", None), ("-3", None), ("--3", None), ("1.5", None), ("1,000", None), ("", None),
    ("9" * 19, None), ("9" * 5000, None),  # beyond bigint; int() itself fails past 4,300 digits
    (None, None), (12, None),
])
def test_parse_whole(text: object, expected: int | None) -> None:
    assert parse_whole(text) == expected


def test_negative_numbers_only_when_asked() -> None:
    assert parse_whole("-3", negative=True) == -3
    assert parse_whole("－3", negative=True) is None  # a full-width minus is not a minus to int()


def test_pages_refuse_odd_numbers_without_a_server_error(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "member")
    huge = "9" * 5000
    for page in (huge, "²"):
        response = client.get(f"/casebook?page={page}")  # the search page says what is wrong
        assert response.status_code == 200 and "ページの指定が正しくありません。" in response.get_data(as_text=True)
    assert client.get(f"/cases?page={huge}").status_code == 200  # the own-cases list falls back to page 1
    assert client.get("/api/v1/casebook/search?q=x&per_page=²").status_code < 500
