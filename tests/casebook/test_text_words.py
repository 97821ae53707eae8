"""The published texts' stored words (casebook.text_words): equal to a fresh analysis, what the search cuts its
snippets and marks its titles from (no SudachiPy for the hits), kept fresh by the writers, filled for entries
written without them, and a text without them (or with another text's) is analysed as before."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from casebook import curation, queries, search, text_words
from casebook.models import Entry, TextWords
from kernel.extensions import db
from tenants.context import bind_tenant

EVAL_QUERIES = [q["q"] for group in yaml.safe_load((Path(__file__).parent / "search_eval.yaml").read_text(
    encoding="utf-8")).values() for q in group]


@pytest.fixture
def bound(app_ctx):  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    return app_ctx


def _stored(kind: str, value: str) -> str | None:
    return db.session.scalar(select(TextWords.words).where(TextWords.digest == text_words.digest(kind, value)))


def _plain(words: search._Words) -> tuple[Any, ...]:
    return words.surfaces, words.ends, {lexeme: tuple(at) for lexeme, at in words.where.items()}


def _no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, analysing a hit's title or line fails the test: the search must use the stored words."""
    def refuse(pairs: Any) -> Any:
        raise AssertionError(f"analysed although its words are stored: {list(pairs)[:5]}")

    # What analysing a title (search._cached_words) or a line (search._cached_line) goes through; the query's own
    # analysis does not.
    monkeypatch.setattr(search, "_indexed_words", refuse)


def _shown(result: queries.Result) -> list[tuple[Any, ...]]:
    return [(hit.entry.id, hit.title, hit.snippet) for hit in result.hits]


def test_every_published_texts_stored_words_equal_a_fresh_analysis(bound) -> None:  # type: ignore[no-untyped-def]
    entries = list(db.session.scalars(select(Entry).where(Entry.status == "published")))
    assert len(entries) >= 60  # the demo corpus, published through curation.publish at the template's build
    for entry in entries:
        stored = _stored(text_words.TITLE, entry.title)
        assert stored is not None, entry.title
        assert _plain(search._title_words(entry.title, stored)) == _plain(search._cached_words(entry.title))
        for name in text_words.SNIPPET_FIELDS:
            value = getattr(entry, name)
            normalized = search.unicodedata.normalize("NFKC", search._MARKUP.sub("", value)[:2000])
            if not normalized.strip():
                continue
            stored = _stored(text_words.LINES, value)
            assert stored is not None, (entry.external_id, name)
            fresh = [_plain(search._cached_line(chunk)) for chunk in search._chunks(normalized)]
            assert [_plain(search._decoded(pair)) for pair in search.json.loads(stored)] == fresh, (entry.id, name)


def test_the_search_shows_the_same_from_stored_words_without_analysing_its_hits(
        bound, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def searched() -> list[list[tuple[Any, ...]]]:
        shown = []
        for q in EVAL_QUERIES:
            queries.forget_recent_searches()
            shown.append(_shown(queries.search_casebook(queries.Filters(q=q), with_facets=False)))
        return shown

    # Every entry's words missing (as under another analysis version): each hit's texts are analysed.
    with monkeypatch.context() as m:
        m.setattr(text_words, "VERSION", "test-missing")
        _forget_statements()
        analysed = searched()
    _forget_statements()
    with monkeypatch.context() as m:
        _no_analysis(m)
        stored = searched()
    assert stored == analysed
    assert sum(len(page) for page in stored) > 300  # the queries find the corpus's cases, marked


def _forget_statements() -> None:
    """The statements are built once per shape, with the version in them: built again."""
    for kept in (queries._hits_statement, queries._first_matches_statement, queries._prefixed_sql):
        kept.cache_clear()


def _entry(title: str, summary: str) -> Entry:
    """An entry written without its words (as the generators' bulk load, or an entry published before them)."""
    content = {"title": title, "summary": summary, "themes": [], "tools": []}
    entry = Entry(source_tenant_id="132055", title=title, summary=summary, themes=[], tools=[], status="published",
                  search_vector=search.content_vector(content), rank_vector=search.rank_vector(content))
    db.session.add(entry)
    db.session.flush()
    return entry


def _hit(q: str, entry_id: int) -> queries.Hit:
    queries.forget_recent_searches()
    result = queries.search_casebook(queries.Filters(q=q), with_facets=False)
    return next(hit for hit in result.hits if hit.entry.id == entry_id)


def test_an_entry_without_stored_words_is_analysed_and_then_filled(bound, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    entry = _entry("ゾルゲン窓口の改善", "ゾルゲン窓口で待ち時間を短くした。\n二行目にもゾルゲンがある。")
    assert _stored(text_words.TITLE, entry.title) is None
    hit = _hit("ゾルゲン", entry.id)
    assert ("ゾルゲン", True) in hit.title and any(part == ("ゾルゲン", True) for part in hit.snippet)
    cursor = db.session.connection().connection.cursor()
    assert text_words.fill_missing(cursor) == 2  # its title and summary: every other text has its words
    assert text_words.fill_missing(cursor) == 0
    with monkeypatch.context() as m:
        _no_analysis(m)
        again = _hit("ゾルゲン", entry.id)
    assert (again.title, again.snippet) == (hit.title, hit.snippet)


def test_a_curators_edit_stores_the_new_summarys_words(bound, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    entry = db.session.scalars(select(Entry).where(Entry.status == "published").order_by(Entry.id)).first()
    assert entry is not None
    content = entry.content()
    content["summary"] = "ハルモニカ方式で窓口の受付を一本化した。"
    assert _stored(text_words.LINES, content["summary"]) is None
    curation.edit_entry(entry, 1, content)
    assert _stored(text_words.LINES, content["summary"]) == search.snippet_words(content["summary"])
    with monkeypatch.context() as m:
        _no_analysis(m)
        hit = _hit("ハルモニカ", entry.id)
    assert ("ハルモニカ", True) in hit.snippet


def test_words_of_another_text_are_never_used() -> None:
    text, other = "窓口の待ち時間を短くした。", "電子申請で窓口の待ち時間を短くした。"
    terms = frozenset({"窓口"})
    search.forget_texts()
    assert search.snippet(text, terms, stored=search.snippet_words(other)) == search.snippet(text, terms)
    assert search.mark_terms(text, terms, search.title_words(other)) == search.mark_terms(text, terms)
    marked = [("窓口", True), ("の待ち時間を短くした。", False)]
    assert search.mark_terms(text, terms, search.title_words(text)) == marked


def test_a_private_cases_texts_are_never_stored(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func

    from tests.factories.casebook import make_case

    before = db.session.scalar(select(func.count()).select_from(TextWords))
    case = make_case("131083", "member@koto.example.jp", title="ヴェルトハイム区の内部事例",
                     summary="ヴェルトハイム方式の内部検討。")
    result = queries.search_own_cases("131083", "ヴェルトハイム", 1)
    assert [hit.entry.id for hit in result.hits] == [case.id]
    assert ("ヴェルト", True) in result.hits[0].snippet  # analysed, as before: a private case has no stored words
    assert _stored(text_words.TITLE, case.title) is None and _stored(text_words.LINES, case.summary) is None
    assert db.session.scalar(select(func.count()).select_from(TextWords)) == before


def test_joined_texts_words_are_those_of_the_whole_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generators' words of a text joined from pieces (text_words.JoinedTexts) equal the analysis of the whole
    text, byte for byte: sentence pairs, a title with its number (NFKC changes it: stored as []) and one without,
    a text with markup or a line break (analysed whole); a difference found by its check stops the load."""
    from devtools.generate.casebook import _pool

    pool = _pool()
    joined = text_words.JoinedTexts()
    cases = [(text_words.LINES, (a, b)) for a, b in zip(pool["problem"][:40], pool["approach"][:40], strict=True)]
    cases += [(text_words.LINES, (a, b)) for a, b in zip(pool["approach"][:40], pool["problem"][1:41], strict=True)]
    cases += [(text_words.TITLE, (title, f"（{n}）")) for n, title in enumerate(pool["titles"][:20], start=1)]
    cases += [(text_words.TITLE, ("窓口の電子申請", " (12)")), (text_words.TITLE, ("AI-OCR導入", "2024"))]
    cases += [(text_words.LINES, ("**窓口**の改善。", "二文目。")), (text_words.LINES, ("一行目。\n", "二行目。"))]
    for kind, pieces in cases:
        assert joined.words(kind, pieces) == text_words.analysed(kind, "".join(pieces)), pieces
    assert search.json.loads(joined.words(text_words.TITLE, ("窓口の電子申請", " (12)")))  # not [] : marked
    with monkeypatch.context() as m:
        m.setattr(text_words, "analysed", lambda kind, text: "[]")
        with pytest.raises(RuntimeError, match="otherwise than its pieces"):
            text_words.JoinedTexts().words(text_words.LINES, (pool["problem"][0], pool["problem"][1]))
