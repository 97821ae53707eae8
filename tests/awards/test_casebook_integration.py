"""With the real casebook: an entry started from a case, a published winner sent to the curation queue."""
from __future__ import annotations

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import bind_tenant
from tests.conftest import login


def test_entry_prefilled_from_one_of_the_municipalitys_cases(client, scenario) -> None:  # type: ignore[no-untyped-def]
    from casebook.models import Case

    with client.application.app_context():
        bind_tenant("132055")
        case = db.session.scalars(select(Case).where(Case.tenant_id == "132055").limit(1)).first()
        assert case is not None, "the demo corpus has a case of 青梅市"
        case_id, title = case.id, case.title
        bind_tenant("131083")
        other_case = db.session.scalars(select(Case.id).where(Case.tenant_id == "131083").limit(1)).first()
        db.session.remove()
    login(client, "member")
    page = client.get(f"/awards/programmes/{scenario.programme_id}/entries/new?case={case_id}")
    assert page.status_code == 200 and title in page.get_data(as_text=True)
    if other_case is not None:  # another municipality's case is not found (RLS), the form stays empty
        assert client.get(f"/awards/programmes/{scenario.programme_id}/entries/new?case={other_case}"
                          ).status_code == 404
    response = client.post(f"/awards/programmes/{scenario.programme_id}/entries/new", data={
        "category_id": scenario.category_id, "title": title, "case_id": case_id})
    assert response.status_code == 302
    with client.application.app_context():
        from awards.models import Entry

        bind_tenant("132055")
        assert db.session.scalar(select(Entry.case_id).where(Entry.title == title)) == case_id
        db.session.remove()


def test_a_published_winner_becomes_a_case_draft_in_the_curators_queue(client, scenario) -> None:  # type: ignore[no-untyped-def]
    from casebook.models import Case

    login(client, "curator")
    published = client.post(f"/awards/programmes/{scenario.programme_id}/publish", data={"confirm": "yes"})
    assert published.status_code == 302
    response = client.post(f"/awards/submissions/{scenario.submission_other}/casebook")
    assert response.status_code == 302, client.get(response.headers.get("Location", "/")).get_data(as_text=True)
    page = client.get(f"/awards/programmes/{scenario.programme_id}/results").get_data(as_text=True)
    assert "事例集に送付済み" in page
    with client.application.app_context():
        from awards.models import Submission

        case_id = db.session.get(Submission, scenario.submission_other).sent_to_casebook_case_id
        bind_tenant("131083")
        case = db.session.get(Case, ("131083", case_id))
        assert case is not None and case.title == "応募 other" and "テスト表彰" in case.origin
        db.session.remove()
