"""Irreversible steps ask first (issue 17 point 6): without ``confirm=yes`` the POST changes nothing and
answers with a confirmation page that works without script; a stale one-click form cannot skip it; a
step that would be refused is refused at once, not after a confirmation."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from awards.models import ScoreSheet
from casebook.models import Submission
from kernel.extensions import db
from tests.awards import conftest as awards_fixtures
from tests.casebook.test_cases import _create
from tests.casebook.test_curation import _submission_id
from tests.conftest import login
from tests.factories.awards import jp
from tests.factories.tenants import user

scenario = awards_fixtures.scenario  # the awards scenario fixture, for the score sheet


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def _queued_submission(app) -> tuple[int, object]:  # type: ignore[no-untyped-def]
    member, admin, curator = app.test_client(), app.test_client(), app.test_client()
    login(member, "other_member")
    case_id = _create(member, title="確認してから掲載する事例")
    assert member.post(f"/cases/{case_id}/propose").status_code == 302
    login(admin, "other_admin")
    assert admin.post(f"/cases/{case_id}/approve", data={"confirm": "yes"}).status_code == 302
    login(curator, "curator")
    return _submission_id(curator), curator


def test_publishing_a_case_asks_first_and_a_stale_form_cannot_skip_it(app) -> None:  # type: ignore[no-untyped-def]
    submission_id, curator = _queued_submission(app)
    review = curator.get(f"/curation/{submission_id}").get_data(as_text=True)
    token = re.search(r'action="/curation/\d+/publish"[^>]*><input type="hidden" name="_once" value="([^"]+)"', review)
    assert token, "the publish button posts a one-time token"

    asked = curator.post(f"/curation/{submission_id}/publish", data={"_once": token.group(1)})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-testid="confirmation"' in page
    assert "「確認してから掲載する事例」を事例集に掲載しますか？" in page
    assert "すべての区市町村がこの事例を閲覧・検索し、横展開できるようになります。" in page
    assert _hidden(page)["confirm"] == "yes" and 'data-testid="confirm-cancel"' in page
    assert f'href="/curation/{submission_id}"' in page  # the way back, changing nothing
    # Nothing was published: the submission is still in the queue, without an entry.
    with app.app_context():
        user("curator")  # the queue is the curators' (RLS)
        submission = db.session.get(Submission, submission_id)
        assert submission is not None and (submission.status, submission.entry_id) == ("queued", None)

    # The same one-click form again (an old tab, a double click): asked again, still nothing published.
    again = curator.post(f"/curation/{submission_id}/publish", data={"_once": token.group(1)})
    assert again.status_code == 200 and 'data-testid="confirmation"' in again.get_data(as_text=True)

    # The confirmation page's own form publishes (its own one-time token: the first was given back).
    confirmed = curator.post(f"/curation/{submission_id}/publish", data=_hidden(page))
    assert confirmed.status_code == 302 and "/casebook/" in confirmed.headers["Location"]
    twice = curator.post(f"/curation/{submission_id}/publish", data=_hidden(page))  # the confirm button twice
    assert twice.status_code == 302 and twice.headers["Location"] == confirmed.headers["Location"]


def test_final_scores_ask_first_and_keep_the_typed_scores(client, in_app, scenario) -> None:  # type: ignore[no-untyped-def]
    login(client, "judge")
    path = jp(client, scenario, scenario.submission_own)
    field = f"score-{scenario.criterion_id}"

    def sheets() -> int:
        return int(db.session.scalar(select(func.count()).select_from(ScoreSheet).where(
            ScoreSheet.submission_id == scenario.submission_own)) or 0)

    asked = client.post(path, data={field: "4", "comment": "丁寧な取組", "action": "submit"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "この応募の採点を最終提出しますか？" in page
    assert in_app(sheets) == 0  # not saved, not even as a draft
    hidden = _hidden(page)
    assert hidden[field] == "4" and hidden["comment"] == "丁寧な取組" and hidden["action"] == "submit"
    # A refusal comes before any confirmation: an incomplete sheet is refused at once.
    assert client.post(path, data={"action": "submit"}).status_code == 400
    # Saving a draft is not irreversible: no question.
    assert client.post(path, data={field: "3", "action": "draft"}).status_code == 302
    assert client.post(path, data=hidden).status_code == 302
    assert in_app(sheets) == 1


def test_award_asks_first_and_names_the_vendor(app, client) -> None:  # type: ignore[no-untyped-def]
    from procurement import services
    from procurement.models import Project
    from tests.factories.procurement import declare, make_project

    with app.app_context():
        project = make_project(title="確認してから落札する案件")
        declare(project, "other_admin", [120], intent="commit", budget=500_000)
        curator = user("curator")
        services.transition(curator, project, "survey_closed")
        services.transition(curator, project, "tendering")
        project_id, quote_id = project.id, project.quotes[0].id
        db.session.commit()
        db.session.remove()
    login(client, "curator")
    asked = client.post(f"/procurement/{project_id}/award", data={"quote_id": str(quote_id)})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "この事業者に落札決定しますか？" in page and "株式会社テスト" in page
    with app.app_context():
        assert db.session.get(Project, project_id).status == "tendering"  # type: ignore[union-attr]
    assert client.post(f"/procurement/{project_id}/award", data=_hidden(page)).status_code == 302
    with app.app_context():
        assert db.session.get(Project, project_id).status == "awarded"  # type: ignore[union-attr]
