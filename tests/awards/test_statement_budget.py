"""The judging pages run a fixed number of SQL statements whatever the number of judges and entries."""
from __future__ import annotations

import pytest

from kernel.extensions import db


def _more_judges_and_entries(scenario) -> None:  # type: ignore[no-untyped-def]
    """Add 千代田区's CIO as a second judge with a declared conflict, and a third entry."""
    from awards import judging, services
    from awards.models import Programme, Submission
    from tests.factories.awards import user

    programme = db.session.get(Programme, scenario.programme_id)
    member = user("131016", "member@chiyoda.example.jp")
    entry = services.create_entry(member, programme, scenario.category_id, {"title": "三件目"})
    programme.judging_opens_at, opened = programme.entry_closes_at, programme.judging_opens_at
    services.request_approval(member, entry, programme, now=opened)
    services.approve_entry(user("131016", "cio@chiyoda.example.jp"), entry, programme, now=opened)
    programme.judging_opens_at = opened
    cio = user("131016", "cio@chiyoda.example.jp")
    judging.ensure_in_pool(cio)
    curator = user("130001", "curator@metro.tokyo.example.jp")
    judge = judging.add_judge(curator, programme, "131016", cio.id)
    judging.assign(curator, programme, judge, category_id=scenario.category_id)
    judging.declare_conflict(cio, judge, db.session.get(Submission, scenario.submission_own), "兼務")


@pytest.mark.parametrize(("who", "page", "limit"), [
    ("curator", "results", 20), ("curator", "judges", 18), ("judge", "judging", 20),
    # The scoring page: the session, then one statement (awards/scoring_page.py) for the programme with its
    # rubric, the judge, the one submission if visible with its files (never the programme's other entries), its
    # municipality, and the sheet with its scores.
    ("judge", "score", 2)])
def test_judging_pages_statement_budget(client, in_app, scenario, count_queries, who, page, limit):  # type: ignore[no-untyped-def]
    from tests.conftest import login
    from tests.factories.awards import jp

    path = {"results": f"/awards/programmes/{scenario.programme_id}/results",
            "judges": f"/awards/programmes/{scenario.programme_id}/judges",
            "judging": f"/awards/judging/{scenario.programme_id}",
            "score": jp(client, scenario, scenario.submission_other)}[page]
    login(client, who)
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    in_app(lambda: _more_judges_and_entries(scenario))
    with count_queries() as larger:
        assert client.get(path).status_code == 200
    assert len(larger) <= limit, "\n".join(larger)
    assert len(larger) == len(small), "\n".join(larger)
    if page == "score":  # the page's statement is the call of its plan function (kernel/kept_plans.py)
        from awards.scoring_page import _PAGE

        assert _PAGE.function[0] in larger[1] and "award_programmes" not in larger[1], larger[1]
