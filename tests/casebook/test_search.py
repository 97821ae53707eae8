"""Japanese search over the demo corpus (published at template build): normalisation, variants, synonyms."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from casebook import queries, search, thesaurus
from kernel.extensions import db
from tenants.context import bind_tenant


def _ids(q: str, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    result = queries.search_casebook(queries.Filters(q=q, **filters), per_page=100, with_facets=False)
    return [h.entry.external_id for h in result.hits]


@pytest.fixture
def bound(app_ctx):  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    return app_ctx


def test_kana_kanji_variants_find_each_other(bound) -> None:  # type: ignore[no-untyped-def]
    expected = {"case-036", "case-041", "case-052", "case-053"}
    for q in ("こども", "子ども", "子供"):
        assert expected <= set(_ids(q)), q


def test_nfkc_full_width_and_case(bound) -> None:  # type: ignore[no-untyped-def]
    assert set(_ids("ＲＰＡ")) == set(_ids("rpa")) == set(_ids("RPA"))
    assert "case-005" in _ids("RPA")  # written ＲＰＡ in the corpus
    assert {"case-026", "case-043"} <= set(_ids("ＡＩ－ＯＣＲ"))


def test_words_may_appear_apart_and_all_are_required(bound) -> None:  # type: ignore[no-untyped-def]
    both = set(_ids("窓口 待ち時間"))
    assert {"case-001", "case-015"} <= both
    assert both <= set(_ids("窓口")) and both <= set(_ids("待ち時間"))
    strict = queries.search_casebook(queries.Filters(q="窓口 量子コンピューター宇宙船"), with_facets=False)
    assert strict.any_word  # no case has every word: the fallback says so


def test_inflected_verbs_and_okurigana_variants(bound) -> None:  # type: ignore[no-untyped-def]
    assert set(_ids("申込")) == set(_ids("申し込み"))
    assert _ids("書かない窓口")[0] == "case-001"


def test_curator_synonyms_widen_the_query(bound) -> None:  # type: ignore[no-untyped-def]
    # Demo data declares 電子申請 ≈ オンライン申請 ≈ 電子手続.
    assert "case-039" in _ids("電子申請")  # written オンライン申請
    assert {"case-002", "case-045"} <= set(_ids("オンライン申請"))


def test_a_curators_new_synonym_applies_at_once(bound) -> None:  # type: ignore[no-untyped-def]
    # The query's analysis is kept per worker (thesaurus._expand), keyed by the curators' groups; the groups
    # are kept per worker too, and the search's first statement says whether they are still the current
    # ones (queries.KNOWN_SYNONYMS): a group added or deleted is read again, so the next search sees it.
    from casebook import curation

    def page(q: str) -> list[str]:
        return [h.entry.external_id for h in queries.search_casebook(queries.Filters(q=q)).hits]

    assert _ids("zqxwidget") == [] and page("zqxwidget") == []
    group = curation.add_synonyms(1, "zqxwidget, 書かない窓口")
    assert _ids("zqxwidget")[0] == "case-001"
    assert page("zqxwidget")[0] == "case-001"
    assert curation.delete_synonyms(group.id)
    assert page("zqxwidget") == []
    assert _ids("zqxwidget") == []
    assert queries.search_casebook(queries.Filters(q="zqxwidget", sort="newest"), with_facets=False).hits == []


def test_title_hits_rank_first_and_snippets_highlight(bound) -> None:  # type: ignore[no-untyped-def]
    result = queries.search_casebook(queries.Filters(q="書かない窓口"), with_facets=True)
    top = result.hits[0]
    assert top.entry.external_id == "case-001" and top.rank >= result.hits[-1].rank
    assert any(hit for _piece, hit in top.snippet)
    assert result.facets["theme"] and result.facets["kind"]


def test_filters_sort_and_pagination(bound) -> None:  # type: ignore[no-untyped-def]
    everything = queries.search_casebook(queries.Filters(sort="newest"), per_page=7, with_facets=True)
    assert everything.total == 60 and everything.pages == 9 and len(everything.hits) == 7
    page2 = queries.search_casebook(queries.Filters(sort="newest", page=2), per_page=7, with_facets=False)
    assert not {h.entry.id for h in page2.hits} & {h.entry.id for h in everything.hits}
    wards = queries.search_casebook(queries.Filters(kind="special_ward"), per_page=100, with_facets=False)
    assert wards.total and all(h.tenant.kind == "special_ward" for h in wards.hits)  # type: ignore[union-attr]
    theme = everything.facets["theme"][0][0]
    themed = queries.search_casebook(queries.Filters(theme=theme), per_page=100, with_facets=False)
    assert themed.total == everything.facets["theme"][0][1]
    assert all(theme in h.entry.themes for h in themed.hits)


def test_search_pages_show_highlights_and_bad_parameters_are_not_500(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    body = client.get("/casebook?q=こども").get_data(as_text=True)
    assert "<mark>" in body
    for bad in ("?page=abc", "?page=-1", "?sort=evil", "?fiscal_year=20xx", "?stage=x", "?q=" + "あ" * 5000,
                "?q=%00%27%22%5C", "?q=:*|&!()<->"):
        response = client.get("/casebook" + bad)
        assert response.status_code == 200, bad
    assert client.get("/casebook/export.xlsx?q=窓口").status_code == 200


def test_tsquery_literals_are_safe(bound) -> None:  # type: ignore[no-untyped-def]
    for q in ("'", "\\", "a' | 'b", "!!!", "():*", "<->", "＆"):
        tsq, _terms = search.build_tsquery(q)
        if tsq:
            db.session.execute(text("SELECT CAST(:q AS tsquery)"), {"q": tsq})


def test_search_uses_the_gin_index(bound) -> None:  # type: ignore[no-untyped-def]
    tsq, _terms = search.build_tsquery("窓口 待ち時間")
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in db.session.execute(text(
        "EXPLAIN SELECT id FROM casebook_entries WHERE search_vector @@ CAST(:q AS tsquery)"),
        {"q": tsq}))
    assert "ix_casebook_entries_search_vector" in plan, plan


def test_search_vector_is_kept_in_sync_on_write(client, login_as) -> None:  # type: ignore[no-untyped-def]
    from tests.casebook.test_cases import FORM, _create

    login_as("member")
    case_id = _create(client, title="ドローンによる橋梁点検")
    assert "<mark>ドローン</mark>による橋梁点検" in client.get("/cases?q=ドローン").get_data(as_text=True)
    client.post(f"/cases/{case_id}/edit", data={**FORM, "title": "衛星画像による道路点検", "version": "1"})
    assert "衛星画像" not in client.get("/cases?q=ドローン").get_data(as_text=True)
    assert "<mark>衛星</mark>画像による道路点検" in client.get("/cases?q=衛星").get_data(as_text=True)


def test_everyday_queries_fall_back_to_some_words_and_drop_filler(bound) -> None:  # type: ignore[no-untyped-def]
    # "…の事例" and "知りたい" say nothing about the case.
    assert "case-001" in _ids("書かない窓口の事例を知りたい")
    result = queries.search_casebook(queries.Filters(q="書かない窓口 量子コンピューター"), with_facets=False)
    assert result.any_word and result.hits and result.hits[0].entry.external_id == "case-001"
    assert not queries.search_casebook(queries.Filters(q="書かない窓口"), with_facets=False).any_word
    # 導入 and 効果 are in nearly every case: "the effect of introducing RPA" means the RPA cases.
    assert set(_ids("RPA")) <= set(_ids("ＲＰＡ導入の効果"))


def test_facet_counts_are_exact_over_every_match(bound) -> None:  # type: ignore[no-untyped-def]
    # Facets are counted in PostgreSQL in the same statement as the capped count: each value's count
    # must equal a recount of the matching entries (60 published, below the cap).
    from collections import Counter

    from casebook.models import Entry
    from tenants.models import Tenant

    result = queries.search_casebook(queries.Filters(), per_page=100, with_facets=True)
    entries = db.session.execute(db.select(Entry, Tenant).join(Tenant, Tenant.code == Entry.source_tenant_id)
                                 .where(Entry.status == "published")).all()
    assert result.total == len(entries) == 60
    expected: dict[str, Counter[str]] = {k: Counter() for k in ("theme", "tool", "kind", "region", "stage",
                                                                 "fiscal_year")}
    for entry, tenant in entries:
        expected["theme"].update(entry.themes or [])
        expected["tool"].update(entry.tools or [])
        expected["kind"][tenant.kind] += 1
        expected["region"][tenant.region] += 1
        expected["stage"][entry.stage] += 1
        if entry.fiscal_year is not None:
            expected["fiscal_year"][str(entry.fiscal_year)] += 1
    for name, counter in expected.items():
        got = dict(result.facets[name])
        assert got == dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))), name
    assert [v for v, _n in result.facets["fiscal_year"]] == sorted(expected["fiscal_year"], reverse=True)


def test_words_found_only_in_the_title_are_marked_there(client, login_as) -> None:  # type: ignore[no-untyped-def]
    # 「こども 手続き」 finds case-052 by its title (子供…申請手続…); its summary has neither word, so
    # the marks must be in the title, escaped like every other piece.
    login_as("member")
    page = client.get("/casebook?q=こども 手続き").get_data(as_text=True)
    assert "<mark>子供</mark>医療費助成の申請<mark>手続</mark>のオンライン化" in page
    assert "<mark>" not in client.get("/casebook").get_data(as_text=True)


def test_katakana_and_hiragana_queries_find_the_same_cases(bound) -> None:  # type: ignore[no-untyped-def]
    # Sudachi reads そだいごみ as 粗大 + ごみ but ソダイゴミ as one word: the query searches both analyses.
    hiragana = set(_ids("そだいごみ"))
    assert hiragana and hiragana == set(_ids("ソダイゴミ")) == set(_ids("ｿﾀﾞｲｺﾞﾐ"))
    assert hiragana <= set(_ids("粗大ごみ"))
    # A katakana word whose hiragana spelling is no word keeps its own analysis only.
    assert search.build_tsquery("チャットボット")[0] == "'ちゃっとぼっと'"
    assert search.fold_kana("サーバー") == "さーばー"


def test_facets_keep_every_value_with_exact_counts(bound) -> None:  # type: ignore[no-untyped-def]
    tools = queries.search_casebook(queries.Filters(), per_page=1, with_facets=True).facets["tool"]
    assert len(tools) > queries.FACETS_SHOWN  # the demo corpus has more tools than the page shows at first
    for value, count in (tools[0], tools[queries.FACETS_SHOWN], tools[-1]):
        # The count beside a value, also one behind "more", is exactly what choosing it finds.
        assert queries.search_casebook(queries.Filters(tool=value), with_facets=False).total == count, value


def test_facets_cut_to_their_first_values_in_sql_keep_order_counts_and_totals(bound) -> None:  # type: ignore[no-untyped-def]
    # The page reads each facet's first values only (the rest behind "more"): the same values, in the same
    # order (most frequent first, ties in code-point order; fiscal years latest first), with how many there
    # are in all; the expanded facet comes whole.
    for filters in (queries.Filters(), queries.Filters(q="窓口"), queries.Filters(q="窓口", kind="special_ward")):
        every = queries.search_casebook(filters, per_page=1)
        cut = queries.search_casebook(filters, per_page=1, facets_shown=3, expanded_facet="tool")
        assert cut.total == every.total and cut.hits[0].entry.id == every.hits[0].entry.id
        for name, values in every.facets.items():
            assert cut.facet_totals[name] == len(values), name
            assert cut.facets[name] == (values if name == "tool" else values[:3]), name
        assert len(every.facets["tool"]) > 3 and len(every.facets["theme"]) > 3
        for name, values in every.facets.items():
            ordered = sorted(values, reverse=True) if name == "fiscal_year" else \
                sorted(values, key=lambda item: (-item[1], item[0]))
            assert values == ordered, name


def test_facets_show_fifteen_values_and_a_more_link_without_script(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    page = client.get("/casebook").get_data(as_text=True)
    assert 'data-testid="facet-more-tool"' in page and 'data-testid="facet-fewer-tool"' not in page
    more = client.get("/casebook?more=tool").get_data(as_text=True)
    assert 'data-testid="facet-fewer-tool"' in more and 'data-testid="facet-more-tool"' not in more
    # The expanded tool facet lists more values than the first page did; the others are unchanged.
    assert more.count("<li>") > page.count("<li>")
    assert 'data-testid="facet-more-theme"' in more or page.count("facet-more-theme") == 0


def test_dx_vocabulary_widens_the_query_below_the_exact_word(bound) -> None:  # type: ignore[no-untyped-def]
    assert len(thesaurus.dx_vocabulary()) >= 80 and all(len(g) > 1 for g in thesaurus.dx_vocabulary())
    cloud = set(_ids("ガバメントクラウド"))
    assert cloud and cloud <= set(_ids("ガバクラ"))  # nobody wrote the abbreviation in the corpus
    assert set(_ids("LGWAN")) <= set(_ids("総合行政ネットワーク"))
    # A case with the word as typed ranks above those found only through the vocabulary.
    exact = _ids("ChatGPT")
    widened = _ids("ChatGPT 生成AI".split()[0])
    assert exact and widened[0] in exact


def _remove_links(page: str) -> list[tuple[str, str, str]]:
    """(facet, href, accessible name) of every chip's ✕ link on a page."""
    import html
    import re

    return [(m.group(2), html.unescape(m.group(1)), html.unescape(m.group(3))) for m in re.finditer(
        r'<a href="([^"]+)" class="chip__remove" data-testid="remove-(\w+)" aria-label="([^"]+)">✕</a>', page)]


def test_each_chosen_filter_is_removed_on_its_own(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    page = client.get("/casebook?q=窓口&kind=special_ward&stage=implemented&sort=newest").get_data(as_text=True)
    links = {name: href for name, href, _label in _remove_links(page)}
    assert set(links) == {"kind", "stage"}
    assert "kind=" not in links["kind"] and "stage=implemented" in links["kind"] and "sort=newest" in links["kind"]
    assert "stage=" not in links["stage"] and "kind=special_ward" in links["stage"]
    assert "q=" in links["kind"] and "q=" in links["stage"]  # the words stay


def test_several_values_of_one_facet_are_or_and_facets_are_and(bound) -> None:  # type: ignore[no-untyped-def]
    from casebook.models import Entry
    from tenants.models import Tenant

    rows = db.session.execute(db.select(Entry, Tenant.kind).join(Tenant, Tenant.code == Entry.source_tenant_id)
                              .where(Entry.status == "published")).all()
    themes = queries.search_casebook(queries.Filters(), with_facets=True).facets["theme"]
    first, second = themes[0][0], themes[1][0]
    either = queries.search_casebook(queries.Filters(theme=[first, second]), per_page=100, with_facets=True)
    expected = {e.id for e, _k in rows if first in e.themes or second in e.themes}
    assert either.total == len(expected) > themes[0][1]
    assert {h.entry.id for h in either.hits} == expected
    wards = queries.search_casebook(queries.Filters(theme=[first, second], kind="special_ward"), per_page=100,
                                    with_facets=True)
    assert {h.entry.id for h in wards.hits} == {e.id for e, k in rows if e.id in expected and k == "special_ward"}
    # A facet with a chosen value still lists its other values, counted without its own condition
    # (what adding them would find), while the other facets count the result itself.
    kinds = dict(wards.facets["kind"])
    assert kinds["special_ward"] == wards.total and len(kinds) > 1
    assert kinds["city"] == sum(1 for e, k in rows if e.id in expected and k == "city")
    stages = dict(wards.facets["stage"])
    assert sum(stages.values()) == wards.total


def test_chosen_values_show_as_chips_each_removable(client, login_as) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    login_as("member")
    themes = client.get("/casebook").get_data(as_text=True)
    assert "OR" in themes and "AND" in themes  # the page says how values combine
    page = client.get("/casebook?q=窓口&theme=住民サービス向上&theme=窓口改革&stage=implemented").get_data(as_text=True)
    links = _remove_links(page)
    assert [name for name, _h, _l in links] == ["theme", "theme", "stage"]
    kept = [parse_qs(urlsplit(href).query) for _n, href, _l in links]
    assert kept[0]["theme"] == ["窓口改革"] and kept[1]["theme"] == ["住民サービス向上"]
    assert all(k["q"] == ["窓口"] for k in kept) and kept[2]["theme"] == ["住民サービス向上", "窓口改革"]
    assert "stage" not in kept[2] and all(k["stage"] == ["implemented"] for k in kept[:2])
    assert links[0][2] == "絞り込みを外す: テーマ: 住民サービス向上"  # each ✕ has its own accessible name
    # The form keeps every chosen value, and a facet's value link adds to the chosen ones.
    assert page.count('<input type="hidden" name="theme"') == 2


def test_related_cases_bucket_indexes_exist(bound) -> None:  # type: ignore[no-untyped-def]
    # The partial GIN indexes (migration 20261206b_search_buckets) that related cases ask in turn exist
    # for every bucket, with the very predicate suggest._RELATED writes: otherwise PostgreSQL would fall
    # back to the full bitmap (or a scan) silently.
    from casebook import suggest

    predicates = dict(db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'casebook_entries' "
        "AND indexname LIKE 'ix_casebook_entries_%_b%'")).all())
    for column in ("search_vector", "rank_vector"):
        for k in range(suggest.BUCKETS):
            assert f"WHERE ((id % (8)::bigint) = {k})" in predicates[f"ix_casebook_entries_{column}_b{k}"]


def test_search_reads_the_partitions_in_turn_under_one_limit(bound) -> None:  # type: ignore[no-untyped-def]
    # casebook_search_rows (migration 20261206c_search_rows) is partitioned by entry_id % 16: the
    # search's match is one Append over the partitions, in bucket order, each through its GIN index.
    from sqlalchemy import func, select

    from casebook.models import Entry, SearchRow

    partitions = list(db.session.scalars(text(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'casebook_search_rows'::regclass ORDER BY c.relname")))
    assert sorted(partitions) == sorted(f"FOR VALUES IN ('{k}')" for k in range(queries.SEARCH_PARTITIONS))
    tsq, _terms = search.build_tsquery("窓口")
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    matching = queries._matching([SearchRow.entry_id], [], SearchRow.search_vector, queries._tsquery(tsq))
    stmt = select(func.count()).select_from(select(matching).limit(3).subquery())
    plan = "\n".join(r[0] for r in db.session.execute(text("EXPLAIN " + str(stmt.compile(
        compile_kwargs={"literal_binds": True})))))
    scans = [line.split(" on ")[1].split()[0] for line in plan.splitlines() if "Bitmap Index Scan on" in line]
    assert scans == [f"casebook_search_rows_{k}_search_vector_idx" for k in range(queries.SEARCH_PARTITIONS)], plan
    # The partitioned count agrees with the plain one over the entries.
    plain = db.session.scalar(select(func.count()).where(Entry.status == "published",
                                                          Entry.search_vector.op("@@")(queries._tsquery(tsq))))
    assert db.session.scalar(stmt) == min(3, plain) and plain > 3


def _search_row(entry_id: int) -> tuple | None:  # type: ignore[type-arg]
    row = db.session.execute(text(
        "SELECT bucket, source_tenant_id, fiscal_year, stage, published_at, themes, tools, rank_vector::text, "
        "search_vector::text, ctid::text FROM casebook_search_rows WHERE entry_id = :id"), {"id": entry_id}).first()
    return tuple(row) if row is not None else None


def test_search_rows_follow_the_published_entries(bound) -> None:  # type: ignore[no-untyped-def]
    """The triggers keep one search row per published entry, equal to it, and none for a retired one."""
    from casebook.models import Entry

    entries = db.session.execute(text(
        "SELECT count(*) FILTER (WHERE status = 'published'), count(*) FROM casebook_entries")).one()
    assert db.session.scalar(text("SELECT count(*) FROM casebook_search_rows")) == entries[0] > 0
    assert db.session.scalar(text(
        "SELECT count(*) FROM casebook_entries e JOIN casebook_search_rows s ON s.entry_id = e.id "
        "WHERE e.status <> 'published' OR s.bucket <> e.id % 16 OR s.themes <> e.themes OR s.tools <> e.tools "
        "OR s.stage <> e.stage OR s.rank_vector IS DISTINCT FROM e.rank_vector "
        "OR s.search_vector IS DISTINCT FROM e.search_vector")) == 0
    entry = Entry(source_tenant_id="132055", title="検索行のテスト", summary="窓口", themes=["窓口改革"], tools=["RPA"],
                  fiscal_year=2025, stage="implemented", search_vector="'窓口':1A", rank_vector="'窓口':1A")
    db.session.add(entry)
    db.session.flush()
    row = _search_row(entry.id)
    assert row is not None and row[:4] == (entry.id % 16, "132055", 2025, "implemented") and row[5] == ["窓口改革"]
    entry.themes = ["住民サービス向上"]
    entry.search_vector = "'窓口':1A '住民':2B"
    db.session.flush()
    row = _search_row(entry.id)
    assert row is not None and row[5] == ["住民サービス向上"] and "住民" in row[8]
    before = row[9]
    entry.adoption_count = 3  # not a search column: the row stays as it is
    db.session.flush()
    assert (_search_row(entry.id) or ())[9:] == (before,)
    entry.status = "retired"
    db.session.flush()
    assert _search_row(entry.id) is None
    entry.status = "published"
    db.session.flush()
    assert _search_row(entry.id) is not None


def test_the_application_cannot_write_search_rows(bound) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(ProgrammingError, match="permission denied"):
        with db.session.begin_nested():
            db.session.execute(text("DELETE FROM casebook_search_rows"))


def test_a_search_sends_settings_synonyms_count_facets_and_ranking_in_one_round_trip(bound, app, count_queries) -> None:  # type: ignore[no-untyped-def]
    # On a busy machine each round trip waits for a core. A worker's first search reads the curators'
    # synonyms (the index preference travels with them), then the ranked candidates with the count, the
    # facets and the page's rows (with fewer strong matches than a page, the other matches and their rows:
    # the demo casebook has a few strong matches of 窓口, the page here is of three).
    app.extensions.pop(queries.KNOWN_SYNONYMS, None)
    with count_queries() as statements:
        first = queries.search_casebook(queries.Filters(q="窓口"), per_page=3)
    assert statements[0].startswith(f"{queries._PREFER_INDEXES}; SELECT terms, (SELECT md5("), statements
    assert "row_number() OVER ()" in statements[1] and "FROM casebook_synonyms" in statements[1], statements
    assert "unnest(ts_delete(" in statements[1], statements  # the page's rows
    assert len(statements) == 2 and len(first.hits) == 3, statements
    # The next searches expand the query with the synonyms read then, and the first statement, behind the
    # index preference, says whether they are still the current ones (see the next test when they are not).
    with count_queries() as statements:
        result = queries.search_casebook(queries.Filters(q="窓口"), per_page=3)
    assert result.total > 0 and result.facets["theme"] and result.hits
    assert statements[0].startswith(f"{queries._PREFER_INDEXES}; WITH "), statements
    assert "row_number() OVER ()" in statements[0] and "ts_rank" in statements[0], statements  # facets, ranking
    assert "(SELECT md5(" in statements[0] and "FROM casebook_synonyms" in statements[0], statements
    assert len(statements) == 1, statements
    assert [(h.entry.id, h.rank) for h in first.hits] == [(h.entry.id, h.rank) for h in result.hits]
    assert first.facets == result.facets and first.total == result.total
    # The same page, ranks and facets as the candidates asked for on their own (the export and the API).
    alone = queries.search_casebook(queries.Filters(q="窓口"), per_page=3, with_facets=False)
    assert [(h.entry.id, h.rank) for h in alone.hits] == [(h.entry.id, h.rank) for h in result.hits]


def _hit_lexemes_word_by_word(entry_id: int, hit_terms: list[str], wanted: list[str]) -> tuple[object, ...]:
    """(present, weights, doubt) of an entry as the hits statement worked them out before, from every lexeme of
    its vector: present the ``wanted`` ones it holds, weights those of the ``hit_terms`` (joined, in the vector's
    order), doubt whether one of them has no positions or the 256 a tsvector keeps at most."""
    rows = db.session.execute(text("SELECT w.lexeme, w.positions, w.weights FROM casebook_entries e, "
                                   "unnest(e.search_vector) AS w WHERE e.id = :id"), {"id": entry_id}).all()
    present = [lexeme for lexeme, _p, _w in rows if lexeme in wanted] or None
    terms = [(positions, weights) for lexeme, positions, weights in rows if lexeme in hit_terms]
    parts = ["".join(w) for _p, w in terms if w is not None]  # (string_agg leaves out a word without positions)
    weights = "".join(parts) if parts else None
    doubt = any(not 1 <= len(p or []) <= 255 for p, _w in terms) if terms else None
    return present, weights, doubt


@pytest.mark.parametrize(("hit_terms", "wanted"), [
    (["窓口"], []), (["子育て", "支援"], ["子育て", "こども"]), (["ai", "議事録", "ちゃっとgpt"], ["ai", "生成"]),
    ([], []), (["存在しない語"], ["存在しない語"]),
])
def test_hit_rows_read_the_asked_lexemes_as_every_lexeme_would(bound, hit_terms, wanted) -> None:  # type: ignore[no-untyped-def]
    # The hits statement unnests only the asked-for lexemes of each vector: what it says of each entry (which
    # wanted lexemes it holds, in which weights the terms are, whether that is in doubt) is what the whole
    # vector says. One entry's vector is given a term without positions, another one with 256 of them (doubt).
    ids = list(db.session.scalars(text("SELECT id FROM casebook_entries WHERE status = 'published' ORDER BY id")))
    if hit_terms:
        db.session.execute(text("UPDATE casebook_entries SET search_vector = CAST(:v AS tsvector) WHERE id = :id"),
                           {"v": f"'{hit_terms[0]}' 'other':1A", "id": ids[0]})
        many = ",".join(f"{n}C" for n in range(1, 257))
        db.session.execute(text("UPDATE casebook_entries SET search_vector = CAST(:v AS tsvector) WHERE id = :id"),
                           {"v": f"'{hit_terms[-1]}':{many} 'else':3A", "id": ids[1]})
    rows = {row.id: row for row in db.session.execute(
        queries._hits_statement(), {"ids": ids, "hit_terms": hit_terms, "wanted": wanted})}
    assert sorted(rows) == ids
    for entry_id in ids:
        row = rows[entry_id]
        assert (row.present, row.weights, row.doubt) == _hit_lexemes_word_by_word(entry_id, hit_terms, wanted)
    if hit_terms:
        assert rows[ids[0]].doubt is True and rows[ids[1]].doubt is True and rows[ids[1]].weights == "C" * 256
        assert any(row.weights for row in rows.values()) or hit_terms == ["存在しない語"]


@pytest.mark.parametrize("filters", [
    {"q": "窓口"}, {"q": "窓口", "page": 2}, {"q": "窓口", "page": 40}, {"q": "電子申請"}, {"q": "生成AI 議事録"},
    {"q": "AI", "theme": ["生成AI"]}, {"q": "子育て", "per_page": 7, "page": 2}, {"q": "窓口 申請", "per_page": 50},
    {"q": "ソダイゴミ"}, {"q": "窓口で早く受け付けたい 書かない窓口 キャッシュレス"},
])
def test_hits_read_with_the_first_matches_are_those_read_on_their_own(bound, filters) -> None:  # type: ignore[no-untyped-def]
    # The page's rows come with the count, facets and ranking (the relevance sort with words); the rows the
    # page still lacks (other matches after the strong ones, a page past the last) are read on their own.
    # Either way each hit is what reading the page's rows on their own makes of it.
    per_page = filters.pop("per_page", queries.PER_PAGE)
    f = queries.Filters(**filters)
    for with_facets in (True, False):
        result = queries.search_casebook(f, per_page=per_page, with_facets=with_facets)
        expanded = thesaurus.expand(f.q, queries.curator_synonyms(), any_word=result.any_word)
        ids = [h.entry.id for h in result.hits]
        alone = queries._load_hits(ids, {h.entry.id: h.rank for h in result.hits}, result.terms, expanded)
        assert ids, filters
        columns = alone[0].entry._fields
        assert [({c: getattr(h.entry, c) for c in columns}, h.tenant, h.rank, h.snippet, h.title, h.synonyms)
                for h in result.hits] == \
            [(h.entry._asdict(), h.tenant, h.rank, h.snippet, h.title, h.synonyms) for h in alone], filters
        # (The rows read with the first matches have its columns too: 窓口 has strong matches on the first page.)
        merged = [h for h in result.hits if "facet" in h.entry._fields]
        assert merged or filters != {"q": "窓口"}


def test_the_first_statement_read_on_the_drivers_cursor_gives_exec_driver_sqls_rows(bound, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # queries._prefer_indexes_rows reads the search's first statement on the driver's cursor as named tuples; the
    # same searches through exec_driver_sql (its former reading) give the same results, row values and names.
    used = []

    def former(stmt, params):  # type: ignore[no-untyped-def]
        used.append(stmt)
        connection = db.session.connection(bind_arguments={"clause": stmt})
        sql, _own, _row = queries._prefixed_sql(stmt, connection.dialect)
        return connection.exec_driver_sql(sql, stmt.compile(dialect=connection.dialect).construct_params(params))

    def searched(filters: queries.Filters) -> list:  # type: ignore[type-arg]
        result = queries.search_casebook(filters, facets_shown=3)
        return [result.total, result.capped, result.pages, result.terms, result.facets, result.facet_totals,
                result.any_word, [(h.entry._asdict(), h.tenant, h.rank, h.snippet, h.title, h.synonyms)
                                  for h in result.hits]]

    cases = [queries.Filters(q="窓口"), queries.Filters(q="窓口 電子申請", kind="special_ward"),
             queries.Filters(q="こども", page=2), queries.Filters(q="ガバクラ")]
    for filters in cases:
        queries.search_casebook(filters)  # the curators' synonyms known: the first statement carries the check
        now = searched(filters)
        with monkeypatch.context() as patched:
            patched.setattr(queries, "_prefer_indexes_rows", former)
            assert searched(filters) == now, filters.q
        assert now[-1] and used, filters.q


def test_the_first_statement_sends_the_parameters_sqlalchemy_would(bound, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # _prefixed_sql keeps the statement's own values (its literals, the defaults of parameters a caller may leave
    # out) and each search puts its own over them: every parameter of the statement has the value
    # compiled.construct_params gives it, whatever the shape (facets chosen or not, a page of hits or not).
    sent: list[tuple[object, dict, dict]] = []  # type: ignore[type-arg]
    real_rows, real_text_rows = queries._prefer_indexes_rows, queries.driver.text_rows

    def rows(stmt, params):  # type: ignore[no-untyped-def]
        sent.append((stmt, dict(params), {}))
        return real_rows(stmt, params)

    def text_rows(connection, sql, values):  # type: ignore[no-untyped-def]
        sent[-1][2].update(values)
        return real_text_rows(connection, sql, values)

    monkeypatch.setattr(queries, "_prefer_indexes_rows", rows)
    monkeypatch.setattr(queries.driver, "text_rows", text_rows)
    for filters in (queries.Filters(q="窓口"),
                    queries.Filters(q="窓口 電子申請", kind="special_ward", fiscal_year=2023),
                    queries.Filters(q="こども", page=2, sort="newest"),
                    queries.Filters(q="量子コンピューター宇宙船 窓口")):
        queries.search_casebook(filters)
        queries.search_casebook(filters, with_facets=False)
    assert len(sent) >= 8
    dialect = db.session.connection().dialect
    for stmt, params, values in sent:
        expected = stmt.compile(dialect=dialect).construct_params(params)  # type: ignore[attr-defined]
        assert {name: values[name] for name in expected} == expected
        assert any(name.startswith("param_") for name in expected)  # the statement's literals are among them


def _first_statement(q: str, with_facets: bool = True) -> tuple[str, str, object]:
    """The settings, the SQL (from its WITH) and the parameters of the first statement of a search for ``q``
    (the one with the count, the facets and the ranked candidates)."""
    from sqlalchemy import event

    first: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "ts_rank(" in statement and not first:
            first.append((statement, parameters))

    engine = db.engines[None].engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        queries.search_casebook(queries.Filters(q=q), facets_shown=15, with_facets=with_facets)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    statement, parameters = first[0]
    settings, _sep, sql = statement.partition("; WITH ")
    # (behind the tenant binding when the statement opens the transaction)
    assert settings.endswith(queries._PREFER_INDEXES), statement
    return queries._PREFER_INDEXES, "WITH " + sql, parameters


def _rank_index_loops(q: str, with_facets: bool) -> list[int]:
    """How many times each partition's rank-vector index was scanned by the first statement of a search for ``q``
    (EXPLAIN ANALYZE of that statement, with its own parameters, under its own index preference)."""
    settings, sql, parameters = _first_statement(q, with_facets)
    connection = db.session.connection()
    connection.exec_driver_sql(settings)
    plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters).scalar()
    loops: list[int] = []

    def walk(node: dict) -> None:  # type: ignore[type-arg]
        if "rank_vector_idx" in node.get("Index Name", ""):
            loops.append(node["Actual Loops"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return loops


@pytest.mark.parametrize("with_facets", [True, False])  # the page; the API and the export
def test_a_search_whose_words_are_nowhere_together_skips_the_ranked_candidates(bound, with_facets) -> None:  # type: ignore[no-untyped-def]
    # No case has both words: the first statement's count is 0, and its ranked candidates (a scan of every
    # partition's rank-vector index) are not looked for before the search with any of the words.
    result = queries.search_casebook(queries.Filters(q="書かない窓口 量子コンピューター"), with_facets=with_facets)
    assert result.any_word and result.hits
    loops = _rank_index_loops("書かない窓口 量子コンピューター", with_facets)
    assert len(loops) == queries.SEARCH_PARTITIONS and not any(loops), loops
    # With matches they are (the same statement's shape).
    loops = _rank_index_loops("書かない窓口", with_facets)
    assert len(loops) == queries.SEARCH_PARTITIONS and any(loops), loops


def _plan_nodes(node: dict) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    """Every node of a plan (JSON) as (node type, relation, index), in the plan's order."""
    found = [(node["Node Type"], node.get("Relation Name", ""), node.get("Index Name", ""))]
    for child in node.get("Plans", []):
        found += _plan_nodes(child)
    return found


@pytest.mark.parametrize("q", ["窓口", "子育て 相談", "量子コンピューター"])
def test_the_search_plans_without_constraint_exclusion_or_parallel_paths_and_reads_the_same(bound, q) -> None:  # type: ignore[no-untyped-def]
    # The search's settings turn constraint exclusion and parallel plans off (they only cost the planner time on
    # every partition): the first statement must keep the very plan and rows it has with the defaults, so that a
    # later condition that would let the planner exclude a partition, or a plan that would gain from parallel
    # workers, shows up here.
    settings, sql, parameters = _first_statement(q)
    assert {"SET LOCAL constraint_exclusion = off", "SET LOCAL max_parallel_workers_per_gather = 0"} <= \
        set(settings.split("; "))
    connection = db.session.connection()
    answers = {}
    for exclusion, workers in (("off", "0"), ("partition", "2")):
        connection.exec_driver_sql(f"SET LOCAL enable_seqscan = off; SET LOCAL constraint_exclusion = {exclusion}; "
                                   f"SET LOCAL max_parallel_workers_per_gather = {workers}")
        assert connection.exec_driver_sql("SHOW constraint_exclusion").scalar() == exclusion
        assert connection.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar() == workers
        plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, parameters).scalar()
        rows = sorted(map(repr, connection.exec_driver_sql(sql, parameters).all()))
        answers[exclusion] = (_plan_nodes(plan[0]["Plan"]), rows)
    nodes, rows = answers["off"]
    assert answers["partition"] == (nodes, rows)
    scanned = {relation for _type, relation, _index in nodes if relation.startswith("casebook_search_rows_")}
    assert len(scanned) == queries.SEARCH_PARTITIONS and any(r.startswith("('_total'") for r in rows)
