"""The entry page's heading, adoption and questions written by casebook/views/entry_view.py (page_html): texts kept
per worker and language, links built once per script root, the answer form's error in place (issue 25.5)."""
from __future__ import annotations

import re

from flask import url_for

from casebook import entry_page, suggest
from casebook.views import entry_view
from kernel.extensions import db
from tenants.context import bind_tenant
from tests.conftest import login


def _koto_entry(client) -> int:  # type: ignore[no-untyped-def]
    body = client.get("/casebook?q=学童クラブ").get_data(as_text=True)
    return int(re.search(r'href="/casebook/(\d+)">学童クラブ', body).group(1))  # type: ignore[union-attr]


def _stable(body: str) -> str:
    body = re.sub(r'(name="(?:csrf_token|_once)"(?: type="hidden")? value=")[^"]*"', r'\1"', body)
    body = re.sub(r'(<meta name="csrf-token" content=")[^"]*"', r'\1"', body)
    return re.sub(r'data-session-expires-in="\d+"', "", body)


def test_texts_follow_the_language_within_one_worker(app) -> None:  # type: ignore[no-untyped-def]
    """ja, then en, then ja again from the same worker: each language's texts, the first page again."""
    ome = login(app.test_client(), "member")
    entry_id = _koto_entry(ome)
    assert ome.post(f"/casebook/{entry_id}/questions", data={"body": "費用は？ <b>"}).status_code == 302
    ome.get(f"/casebook/{entry_id}")  # shows the flash of the question once
    first = ome.get(f"/casebook/{entry_id}").get_data(as_text=True)
    for fragment in (f'<li><a class="button button--secondary" href="/casebook/{entry_id}/print">印刷用シート</a></li>',
                     '<h2 id="questions-heading">江東区への質問</h2>', "<p>費用は？ &lt;b&gt;</p>",
                     '<h2 id="adoption-heading">横展開</h2>',
                     f'<form method="post" action="/casebook/{entry_id}/adopt">',
                     f'<form method="post" action="/casebook/{entry_id}/questions">'):
        assert fragment in first, fragment
    with ome.session_transaction() as session:
        session["lang"] = "en"
    english = ome.get(f"/casebook/{entry_id}").get_data(as_text=True)
    for fragment in ('<h2 id="questions-heading">Questions to Koto</h2>', '<p lang="ja">費用は？ &lt;b&gt;</p>',
                     f'href="/casebook/{entry_id}/print">Print sheet</a>',
                     '<h2 id="adoption-heading">Adoption (横展開)'):
        assert fragment in english, fragment
    assert "江東区への質問" not in english
    with ome.session_transaction() as session:
        session["lang"] = "ja"
    assert _stable(ome.get(f"/casebook/{entry_id}").get_data(as_text=True)) == _stable(first)


def test_refused_answer_is_marked_on_its_question_only(app) -> None:  # type: ignore[no-untyped-def]
    """The source municipality's answer forms, one per question; a refused answer's message on its own."""
    ome = login(app.test_client(), "member")
    entry_id = _koto_entry(ome)
    for body in ("一つ目", "二つ目"):
        assert ome.post(f"/casebook/{entry_id}/questions", data={"body": body}).status_code == 302
    koto = login(app.test_client(), "other_member")
    ids = [int(i) for i in re.findall(r'id="question-(\d+)"', koto.get(f"/casebook/{entry_id}").get_data(as_text=True))]
    assert len(ids) == 2
    refused = koto.post(f"/casebook/questions/{ids[1]}/answer", data={"body": " "})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    for question_id in ids:
        assert f'<form method="post" action="/casebook/questions/{question_id}/answer">' in body
    assert body.count('role="alert"') == 1
    assert re.search(rf'<p class="field-error" id="answer-{ids[1]}-error" role="alert">[^<]+</p>\n      '
                     rf'<textarea id="answer-{ids[1]}" name="body" aria-describedby="answer-{ids[1]}-error" '
                     rf'aria-invalid="true"></textarea>', body)
    assert f'<textarea id="answer-{ids[0]}" name="body"></textarea>' in body


def test_links_are_the_routes_under_the_script_root(app) -> None:  # type: ignore[no-untyped-def]
    """The page's links, built once per script root from a stand-in id, are url_for's for the page's ids."""
    ome = login(app.test_client(), "member")
    entry_id = _koto_entry(ome)
    assert ome.post(f"/casebook/{entry_id}/questions", data={"body": "質問"}).status_code == 302
    for root in ("", "/portal"):
        with app.test_request_context(f"{root}/casebook/{entry_id}", base_url=f"http://localhost{root}"):
            bind_tenant("131083")
            page = entry_page.load(entry_id)
            assert page is not None and page.questions
            question_id = page.questions[0][0].id
            related = suggest.related_entries(page.entry, generation=page.generation)
            assert related
            html = entry_view.page_html(page.entry, page.source, "ja", entry_view.adopters_html([], "ja"), "",
                                        entry_view.related_html(related, "ja"), page.questions, True, None,
                                        entry_view.Markup("<input>"))
            assert re.findall(r'(?:href|action)="([^"]*)"', html.head + html.adoption + html.questions) == \
                [url_for("casebook.casebook_print", entry_id=entry_id)] + \
                [url_for("casebook.casebook_entry", entry_id=r.id) for r in related] + \
                [url_for("casebook.casebook_answer", question_id=question_id)]
            assert (html.adopt_url, html.adoption_url, html.ask_url) == (
                url_for("casebook.casebook_adopt", entry_id=entry_id),
                url_for("casebook.casebook_adoption_update", entry_id=entry_id),
                url_for("casebook.casebook_ask", entry_id=entry_id))
            assert html.ask_url.startswith(f"{root}/casebook/")
            db.session.remove()
