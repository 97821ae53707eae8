"""casebook.queries.forget_recent_searches: a worker as if it had met no search (the benchmark's fresh search)."""
from __future__ import annotations

from casebook import search, thesaurus
from casebook.queries import forget_recent_searches

KEPT = (search._cached_words, search._kept_marks, search._kept_snippet, search._cached_line, thesaurus._expand,
        thesaurus._sudachi_lookup, search._word_analysis)


def test_what_is_kept_per_query_and_text_is_emptied_and_gives_the_same_answers_again() -> None:
    text = "窓口のオンライン化で待ち時間を削減した。\n申請書の電子化も進めた。"
    first = (search.snippet(text, {"窓口", "申請"}), search.mark_terms("窓口の電子申請", {"窓口"}),
             thesaurus.expand("窓口 申請"))
    assert all(kept.cache_info().currsize for kept in KEPT[:4])
    forget_recent_searches()
    assert [kept.cache_info().currsize for kept in KEPT] == [0] * len(KEPT)
    again = (search.snippet(text, {"窓口", "申請"}), search.mark_terms("窓口の電子申請", {"窓口"}),
             thesaurus.expand("窓口 申請"))
    assert again == first and any(hit for _piece, hit in first[0])
