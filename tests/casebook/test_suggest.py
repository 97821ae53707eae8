""""Did you mean" for a search without a result, and the related cases of an entry."""
from __future__ import annotations

import html
import re

from casebook import search, suggest
from casebook.models import Entry
from kernel.extensions import db
from tenants.context import bind_tenant
from tests.casebook.test_cases import _create
from tests.casebook.test_curation import _submission_id
from tests.conftest import login


def _offered(page: str) -> list[str]:
    found = re.search(r'data-testid="did-you-mean">(.*?)</p>', page, re.S)
    return [html.unescape(t) for t in re.findall(r">([^<]+)</a>", found.group(1))] if found else []


def test_did_you_mean_offers_the_nearest_published_words(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    page = client.get("/casebook?q=チャットボッド").get_data(as_text=True)  # a typo: no case has it
    assert ">0件<" in page or "0 cases" in page
    assert "チャットボット" in _offered(page)
    link = re.search(r'data-testid="did-you-mean">.*?<a href="([^"]+)"', page, re.S).group(1)  # type: ignore[union-attr]
    assert "チャットボット" in client.get(html.unescape(link)).get_data(as_text=True)
    # A search that finds something offers nothing.
    assert not _offered(client.get("/casebook?q=チャットボット").get_data(as_text=True))


def test_did_you_mean_never_offers_a_private_or_retired_case_word(app) -> None:  # type: ignore[no-untyped-def]
    reader = app.test_client()
    login(reader, "member")  # 青梅市
    member = app.test_client()
    login(member, "other_member")  # 江東区
    case_id = _create(member, title="ゾルゲンハイマーによる窓口整理")
    # Written in a municipality's private case only: never offered, never in the vocabulary.
    assert "ゾルゲンハイマー" not in reader.get("/casebook?q=ゾルゲンハイマ").get_data(as_text=True)
    with app.app_context():
        bind_tenant("132055")
        assert not suggest.did_you_mean("ゾルゲンハイマ")
        assert db.session.scalar(db.text("SELECT count(*) FROM casebook_vocabulary WHERE lexeme = :w"),
                                 {"w": search.lexemes("ゾルゲンハイマー")[0]}) == 0
    member.post(f"/cases/{case_id}/propose")
    admin = app.test_client()
    login(admin, "other_admin")
    admin.post(f"/cases/{case_id}/approve", data={"confirm": "yes"})
    curator = app.test_client()
    login(curator, "curator")
    published = curator.post(f"/curation/{_submission_id(curator)}/publish", data={"confirm": "yes"})
    entry_id = int(published.headers["Location"].rsplit("/", 1)[-1])
    # Published: the word is the casebook's now, offered as written.
    assert _offered(reader.get("/casebook?q=ゾルゲンハイマ").get_data(as_text=True)) == ["ゾルゲンハイマー"]
    # Retired: readers can no longer see the case, so its word is no longer offered either.
    assert curator.post(f"/casebook/{entry_id}/retire", data={"retire": "1", "confirm": "yes"}).status_code == 302
    assert not _offered(reader.get("/casebook?q=ゾルゲンハイマ").get_data(as_text=True))


def _entry(title: str, themes: list[str], tools: list[str], status: str = "published") -> Entry:
    content = {"title": title, "summary": "", "themes": themes, "tools": tools}
    entry = Entry(source_tenant_id="132055", title=title, summary="", themes=themes, tools=tools, status=status,
                  search_vector=search.content_vector(content), rank_vector=search.rank_vector(content))
    db.session.add(entry)
    db.session.flush()
    return entry


def test_related_cases_are_ordered_by_what_they_share_in_one_statement(app_ctx, count_queries) -> None:  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    me = _entry("ゾルゲン方式の窓口", ["テーマ甲", "テーマ乙"], ["道具丙"])
    both_themes_and_tool = _entry("別の話A", ["テーマ甲", "テーマ乙"], ["道具丙"])
    one_theme_and_tool = _entry("別の話B", ["テーマ甲"], ["道具丙"])
    one_theme = _entry("別の話C", ["テーマ乙"], [])
    title_word = _entry("ゾルゲン方式の研修", [], [])
    _entry("別の話D", ["テーマ丁"], ["道具戊"])  # shares nothing
    _entry("別の話E（廃止）", ["テーマ甲", "テーマ乙"], ["道具丙"], status="retired")
    with count_queries() as statements:
        related = suggest.related_entries(me, limit=10)
    assert len(statements) == 1, statements
    titles = [r.title for r in related]
    assert titles[:4] == [both_themes_and_tool.title, one_theme_and_tool.title, one_theme.title, title_word.title]
    assert "別の話D" not in titles and "別の話E（廃止）" not in titles and me.title not in titles
    assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)
    assert related[0].municipality("ja") == "青梅市"  # 132055


def test_related_cases_are_kept_until_the_published_casebook_changes(app_ctx, count_queries) -> None:  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    me = _entry("ゾルゲンハイマー", ["ヴェルトシュメルツ"], ["ブルグンデル"])
    first = _entry("別の話A", ["ヴェルトシュメルツ"], ["ブルグンデル"])
    assert [r.title for r in suggest.related_entries(me)] == [first.title]
    # Nothing changed: the kept list, after one read of the casebook's generation (not the search).
    with count_queries() as statements:
        assert [r.title for r in suggest.related_entries(me)] == [first.title]
    assert len(statements) == 1 and "casebook_generation" in statements[0] and "tsquery" not in statements[0]
    # A new related entry is published: read again, and it is there.
    second = _entry("別の話B", ["ヴェルトシュメルツ"], [])
    with count_queries() as statements:
        assert [r.title for r in suggest.related_entries(me)] == [first.title, second.title]
    assert len(statements) == 2 and "tsquery" in statements[1]
    # One is retired: gone at once.
    first.status = "retired"
    db.session.flush()
    assert [r.title for r in suggest.related_entries(me)] == [second.title]
    # The municipalities' names shown beside the cases (only the owner may change them; the same trigger).
    triggers = db.session.scalars(db.text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'tenants'::regclass"))
    assert "tenants_casebook_generation" in set(triggers)


def test_related_cases_kept_from_a_rolled_back_change_are_never_used(app_ctx) -> None:  # type: ignore[no-untyped-def]
    bind_tenant("132055")
    me = _entry("ゾルゲンハイマー", ["ヴェルトシュメルツ"], ["ブルグンデル"])
    db.session.commit()  # (a savepoint of the test's transaction)
    nested = db.session.begin_nested()
    _entry("別の話A", ["ヴェルトシュメルツ"], ["ブルグンデル"])
    assert [r.title for r in suggest.related_entries(me)] == ["別の話A"]  # kept, read inside the change
    nested.rollback()
    # The change never happened, and the next change gets a generation of its own (a counter would give
    # the rolled-back one again, and the list kept from the change that never happened would be shown).
    _entry("別の話C", ["ヴェルトシュメルツ"], ["ブルグンデル"])
    assert [r.title for r in suggest.related_entries(me)] == ["別の話C"]


def test_related_cases_never_show_a_private_case(app) -> None:  # type: ignore[no-untyped-def]
    member = app.test_client()
    login(member, "other_member")  # 江東区: a private case with the very themes of a published one
    _create(member, title="非公開の書かない窓口", themes="窓口改革")
    reader = app.test_client()
    login(reader, "member")
    with app.app_context():
        bind_tenant("132055")
        entry_id = db.session.scalar(db.select(Entry.id).where(Entry.external_id == "case-001"))
    page = reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    assert 'data-testid="related"' in page and "非公開の書かない窓口" not in page
