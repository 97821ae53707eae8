"""The three thesaurus layers: the shipped files' format and the query-time expansion with weights."""
from __future__ import annotations

import tracemalloc
from collections import defaultdict
from pathlib import Path

import pytest

from casebook import search, thesaurus


def test_dx_vocabulary_format_no_duplicate_or_conflicting_group() -> None:
    raw = thesaurus.VOCABULARY_FILE.read_text(encoding="utf-8")
    groups = thesaurus.dx_vocabulary()
    assert len(groups) >= 300, len(groups)
    for number, line in enumerate(raw.splitlines(), 1):
        if not line or line.startswith("#"):
            assert line.startswith("# ") or not line, (number, line)
            continue
        terms = line.split("\t")
        # Tabs only between terms: no empty term, no stray spaces around one, at least two terms.
        assert len(terms) >= 2 and all(t and t == t.strip() for t in terms), (number, line)
    # A term (as the search analyses it) stands in one group only: two groups sharing a word would be
    # merged silently at query time, and a term analysed to nothing would never match.
    owner: dict[tuple[str, ...], int] = {}
    conflicts = defaultdict(list)
    for number, group in enumerate(groups):
        keys = [tuple(search.lexemes(term)) for term in group]
        assert all(keys), group
        assert len(set(keys)) > 1, ("a group whose terms all read the same", group)
        for key, term in zip(keys, group, strict=True):
            if key in owner and owner[key] != number:
                conflicts[key].append((term, groups[owner[key]][0], group[0]))
            owner.setdefault(key, number)
    assert not conflicts, dict(conflicts)


def test_sudachi_layer_ships_with_its_licence_and_reads_strict_and_near() -> None:
    data = thesaurus.DATA
    assert "Apache License" in (data / "LICENSE-2.0.txt").read_text(encoding="utf-8")
    head = thesaurus.SUDACHI_FILE.read_text(encoding="utf-8")[:600]
    assert "SudachiDict" in head and "Apache License 2.0" in head
    table = thesaurus.sudachi_synonyms()
    # JR東海 and 東海旅客鉄道 are one lexeme of their group: strict. 議事録 and 会議録, 電子申請 and
    # オンライン申請 are two lexemes of a group each: near.
    term, alternatives = table.lookup(("jr", "東海")) or ("", [])
    assert term == "JR東海" and ("東海旅客鉄道", thesaurus.SUDACHI) in [(a.term, a.layer) for a in alternatives]
    term, alternatives = table.lookup(("議事", "録")) or ("", [])
    assert term == "議事録" and [(a.term, a.layer) for a in alternatives] == [("会議録", thesaurus.SUDACHI_NEAR)]
    term, alternatives = table.lookup(("電子", "申請")) or ("", [])
    assert ("オンライン申請", thesaurus.SUDACHI_NEAR) in [(a.term, a.layer) for a in alternatives]
    assert table.lookup(("存在しない語",)) is None
    # Every line can be found: the binary search agrees with the file's order.
    lines = [line for line in head.splitlines()[5:] if line]
    for line in lines[:3]:
        assert table.lookup(tuple(line.split("\t")[0].split(" "))) is not None


def test_sudachi_expansion_flags_are_respected(tmp_path: Path) -> None:
    from devtools.sudachi_synonyms import build

    source = tmp_path / "synonyms.txt"
    source.write_text("\n".join([
        "000001,1,0,1,0,0,0,(),会議録,,", "000001,1,0,1,0,0,0,(),議事録,,",
        "000001,1,1,1,0,0,0,(),議事要録,,",  # 1: expanded to, never from
        "000001,1,2,1,0,0,0,(),会議メモ,,",  # 2: never
        "000001,1,0,2,0,0,0,(),記録,,",  # another lexeme: near
        "", "000002,1,0,1,0,0,0,(人名),太郎,,", "000002,1,0,1,0,0,0,(人名),たろう,,",
        "", "000003,2,0,1,0,0,0,(),申し入れる,,", "000003,2,0,1,0,0,0,(),申し出る,,"]) + "\n", encoding="utf-8")
    lines = {line.split("\t")[1]: line.split("\t") for line in build(source)}
    assert set(lines) == {"会議録", "議事録", "記録"}  # no trigger from flags 1/2, no person names, no verbs
    assert "議事要録" in lines["会議録"][2] and "会議メモ" not in "".join(lines["会議録"])
    assert "記録" in lines["会議録"][3] and "記録" not in lines["会議録"][2]


def test_sudachi_layer_costs_no_private_memory_per_worker() -> None:
    # Looking words up maps the file read-only (pages shared by every worker through the OS cache)
    # instead of building a dict of 38,000 keys in each worker: the Python heap keeps nothing of it.
    keys = [tuple(search.lexemes(word)) for word in ("議事録", "テレワーク", "ペーパーレス", "宛先", "概要")]
    table = thesaurus.SudachiSynonyms(thesaurus.SUDACHI_FILE)
    tracemalloc.start()
    try:
        found = [table.lookup(key) for key in keys]
        del found
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        table.close()
    assert kept < 64 * 1024, kept


def test_expansion_tiers_exact_above_strict_above_near() -> None:
    expanded = thesaurus.expand("議事録")
    assert expanded.exact == "'議事' & '録'"
    assert "'会議' & '録'" in expanded.strong and "'会議' & '録'" in expanded.tsquery
    near = thesaurus.expand("電子申請")
    # オンライン申請 is the DX vocabulary's (strict) but only Sudachi's near synonym: strict wins.
    layers = {a.term: a.layer for a in near.alternatives[("電子", "申請")][1]}
    assert layers["オンライン申請"] == thesaurus.DX
    assert "'おんらいん' & '申請'" in near.strong
    assert thesaurus.expand("ガバクラ").alternatives[("がばくら",)][1][0].layer == thesaurus.DX
    curated = thesaurus.expand("議事録", [("議事録", "会議の記録")])
    assert curated.alternatives[("議事", "録")][1][0].layer == thesaurus.CURATOR


def test_which_layer_matched_is_worked_out_from_the_row_lexemes() -> None:
    expanded = thesaurus.expand("ガバクラ 移行")
    row = {"がばめんと", "くらうど", "移行"}
    assert {"がばくら", "がばめんと", "くらうど"} <= set(thesaurus.wanted_lexemes(expanded))
    assert thesaurus.synonym_matches(expanded, row) == [
        thesaurus.SynonymMatch("ガバクラ", "ガバメントクラウド", thesaurus.DX)]
    assert thesaurus.synonym_matches(expanded, {"がばくら", "移行"}) == []  # the word itself: nothing to say
    near = thesaurus.expand("概要")  # 概要 and 要約: two lexemes of one Sudachi group
    assert thesaurus.synonym_matches(near, {"要約"}) == [
        thesaurus.SynonymMatch("概要", "要約", thesaurus.SUDACHI_NEAR)]


@pytest.mark.parametrize("query", ["", "　", "の", "'", "\\", "a" * 600])
def test_odd_queries_expand_without_error(query: str) -> None:
    expanded = thesaurus.expand(query)
    assert isinstance(expanded.tsquery, str)


def test_results_name_the_layer_that_matched(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("curator")
    page = client.get("/casebook?q=ガバクラ").get_data(as_text=True)
    assert 'data-layer="dx"' in page
    assert "「ガバメントクラウド」が「ガバクラ」の同義語として一致（自治体DX用語集）" in page
    # The word as typed explains nothing: no synonym line.
    assert 'data-testid="synonym-match"' not in client.get("/casebook?q=ガバメントクラウド").get_data(as_text=True)


def test_other_kana_reading_is_no_source_of_synonyms() -> None:
    # オンライン is also read as おんらいん (お + らいん): らいん (= LINE in the vocabulary) must not explain a match.
    expanded = thesaurus.expand("オンライン 申請")
    assert all("らいん" not in key for key in expanded.alternatives)


def test_api_hits_carry_the_synonym_layer(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    hits = client.get("/api/v1/casebook/search?q=ガバクラ").get_json()["results"]
    assert hits and hits[0]["matched_through_synonyms"] == [
        {"word": "ガバクラ", "found": "ガバメントクラウド", "layer": "dx"}]


def test_a_query_is_analysed_once_per_word(monkeypatch: pytest.MonkeyPatch) -> None:
    # The expansion reads the query five times (its lexemes, four tsqueries): SudachiPy analyses each word once,
    # a pure-kana word's other spelling once more (it took two to six tokenizer calls per word and read).
    thesaurus.expand("窓口")  # the vocabularies' terms analysed (once per worker)
    thesaurus.forget_queries()
    tokenizer = search._tokenizer()
    analysed: list[str] = []

    class Counting:
        def tokenize(self, text: str, *args: object) -> object:
            analysed.append(text)
            return tokenizer.tokenize(text, *args)

    monkeypatch.setattr(search, "_tokenizer", lambda: Counting())
    expanded = thesaurus.expand("ソダイゴミ 窓口 ガバクラ")
    assert sorted(analysed) == sorted(["ソダイゴミ", "そだいごみ", "窓口", "ガバクラ", "がばくら"])
    # The same answer as a worker that had never analysed these words' other spelling along with them.
    assert "'粗大' & 'ごみ'" in expanded.tsquery and "'がばめんと' & 'くらうど'" in expanded.tsquery
    assert search.kana_alternative("ソダイゴミ") == ["粗大", "ごみ"] and search.kana_alternative("窓口") == []
    assert search.query_words("ソダイゴミ、窓口") == [(("そだいごみ",), ("粗大", "ごみ")), (("窓口",), ())]
    # A word met again (the next page, another query with it) is not analysed again until forgotten.
    analysed.clear()
    thesaurus.expand("窓口 ソダイゴミ", any_word=True)
    assert analysed == []
    thesaurus.forget_queries()
    thesaurus.expand("窓口")
    assert analysed == ["窓口"]
