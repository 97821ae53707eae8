"""The project page's content written by procurement/project_html.py, its texts and links kept per worker."""
from __future__ import annotations

import re

from flask import url_for

from kernel.extensions import db
from procurement import project_html, project_page, services
from procurement.allocation import Tier
from procurement.models import Project
from tenants.context import bind_tenant
from tests.conftest import login
from tests.factories.awards import pdf_bytes
from tests.factories.procurement import declare, make_project, user


def _project() -> int:
    project = make_project(title="AI-OCR <joint> procurement",
                           items=(("AI-OCR ライセンス", "licence"), ("<b>保守</b> & support", "year")))
    services.add_quote(user("curator"), project, "Cheap & Co.", None, "",
                       {item.id: (50_000, [Tier(1, 900), Tier(50, 600)]) for item in project.items})
    services.add_document(user("curator"), project, "仕様書 <v1>", "spec.pdf", pdf_bytes())
    declare(project, "member", [40, 3], budget=1_234_567)
    declare(project, "other_admin", [120, 0], intent="commit", budget=None)
    return project.id


def _stable(body: str) -> str:
    body = re.sub(r'(name="(?:csrf_token|_once)"(?: type="hidden")? value=")[^"]*"', r'\1"', body)
    body = re.sub(r'(<meta name="csrf-token" content=")[^"]*"', r'\1"', body)
    return re.sub(r'data-session-expires-in="\d+"', "", body)


def test_texts_follow_the_language_within_one_worker(app, in_app) -> None:  # type: ignore[no-untyped-def]
    """The kept texts and labels are per language: ja, then en, then ja again from the same worker."""
    project_id = in_app(_project)
    client = login(app.test_client(), "member")
    first = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    for fragment in ('<h2 id="aggregate-heading">需要の集計</h2>',
                     "2団体が需要を申告し、うち1団体が参加を確定しています。",
                     '<th scope="row">&lt;b&gt;保守&lt;/b&gt; &amp; support</th><td>年</td>',
                     '<h1 lang="en">AI-OCR &lt;joint&gt; procurement</h1>', "<li>予算上限額: 1,234,567円</li>",
                     "<td>あと47で600円</td>", "<dd>令和9年度 – 令和10年度</dd>",
                     '価格は<span lang="en">Cheap &amp; Co.</span>の見積によります。 '
                     "現在の需要での見込み総額：198,700円",
                     '<caption class="visually-hidden"><span lang="en">Cheap &amp; Co.</span>の価格帯</caption>',
                     '>仕様書 &lt;v1&gt;</a>（<span lang="en">spec.pdf</span>、'):
        assert fragment in first, fragment
    assert "Pooled demand" not in first
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    for fragment in ('<h2 id="aggregate-heading">Pooled demand</h2>', "2 municipalities declared demand, 1 committed.",
                     "<li>Maximum budget: ¥1,234,567</li>", "<dd>FY2027 – FY2028</dd>",
                     '<h1>AI-OCR &lt;joint&gt; procurement</h1>', "<td>47 more for ¥600</td>",
                     '<th scope="row" lang="ja">&lt;b&gt;保守&lt;/b&gt; &amp; support</th><td>year</td>',
                     'data-testid="project-status">Demand survey</span>'):
        assert fragment in english, fragment
    assert "需要の集計" not in english
    with client.session_transaction() as session:
        session["lang"] = "ja"
    assert _stable(client.get(f"/procurement/{project_id}").get_data(as_text=True)) == _stable(first)


def test_links_are_the_routes_under_the_script_root(app, in_app) -> None:  # type: ignore[no-untyped-def]
    """The page's links, built once per script root from stand-in ids, are url_for's for the page's ids."""
    project_id = in_app(_project)
    for root in ("", "/portal"):
        with app.test_request_context(f"{root}/procurement/{project_id}", base_url=f"http://localhost{root}"):
            bind_tenant("132055")
            page = project_page.load(project_id, "132055")
            assert page is not None
            document = page.project.documents[0]
            html = project_html.content_html(page.project, page.aggregate, True, True)
            expected = [url_for("procurement.index"), url_for("procurement.print_sheet", project_id=project_id),
                        url_for("procurement.declaration", project_id=project_id),
                        url_for("procurement.document_download", project_id=project_id, document_id=document.id)]
            assert all(link.startswith(f"{root}/procurement/") for link in expected)
            hrefs = re.findall(r'href="([^"]*)"', html.own + html.documents + html.rest)
            assert hrefs == expected
            db.session.remove()


def test_savings_link_and_allocation_once_awarded(app, in_app) -> None:  # type: ignore[no-untyped-def]
    """After the award: the savings report's link, the awarded badge and the participant's allocated cost."""
    def awarded() -> int:
        project = make_project()
        declare(project, "tenant_admin", [40], intent="commit")
        curator = user("curator")
        services.transition(curator, project, "survey_closed")
        services.transition(curator, project, "tendering")
        services.award(user("curator"), project, project.quotes[0].id)
        return project.id

    project_id = in_app(awarded)
    body = login(app.test_client(), "member").get(f"/procurement/{project_id}").get_data(as_text=True)
    for fragment in (f'\n  <a href="/procurement/{project_id}/print">印刷用シート</a>\n'
                     f'   · <a href="/procurement/{project_id}/savings">削減効果レポート</a>\n</p>',
                     '<h3>株式会社テスト <span class="badge">落札者決定</span></h3>',
                     # 40 × 1,000円 + the whole set-up fee of 100,000円: the only participant pays the contract
                     '<p class="procurement-allocation" data-testid="own-allocation">'
                     "貴団体の負担額：140,000円（単独調達の場合：140,000円、削減額：0円）</p>"):
        assert fragment in body, fragment


def test_statements_after_the_session_check(app, in_app, count_queries) -> None:  # type: ignore[no-untyped-def]
    """One statement for the page (a participant's own declaration in it; nothing of it for TMG); once the project
    is awarded, a participant's allocation in a second."""
    project_id = in_app(_project)
    member, curator = login(app.test_client(), "member"), login(app.test_client(), "curator")
    for client, expected in ((member, "<li>予算上限額: 1,234,567円</li>"), (curator, "<h2 id=\"organiser-heading\">")):
        client.get(f"/procurement/{project_id}")
        with count_queries() as statements:
            page = client.get(f"/procurement/{project_id}")
        assert page.status_code == 200 and expected in page.get_data(as_text=True)
        assert len(statements) == 2, "\n".join(statements)  # the session check and the page
        # The page's statement through its plan function (kernel/kept_plans.py): with the own declaration or not.
        assert (project_page._PAGE_WITH_OWN if client is member else project_page._PAGE).function[0] in statements[1]

    def award() -> None:
        project = db.session.get(Project, project_id)
        declare(project, "tenant_admin", [40, 3], intent="commit", budget=1_234_567, version=1)
        curator_user = user("curator")
        services.transition(curator_user, project, "survey_closed")
        services.transition(curator_user, project, "tendering")
        services.award(user("curator"), project, project.quotes[0].id)

    in_app(award)
    with count_queries() as statements:
        page = member.get(f"/procurement/{project_id}")
    assert 'data-testid="own-allocation"' in page.get_data(as_text=True)
    assert len(statements) == 3 and "procurement_allocations" in statements[2], "\n".join(statements)
