"""The dashboard asks every "waiting for you" count and figure in one statement (issue 25.5), with the same
answers, under the same row-level security, as each statement alone."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.dashboard import FigureCount, dashboard_for, figure_entries, figures_for
from kernel.extensions import db
from kernel.waiting import WaitingCount, count_together, viewer_values, waiting_entries, waiting_for
from tenants.roles import Permission
from tests.conftest import ROLE_ACCOUNTS
from tests.factories.procurement import declare, make_project
from tests.factories.tenants import user


def _alone(statement, values):  # type: ignore[no-untyped-def]
    row = db.session.execute(statement, values).one()
    return int(row[0] or 0), (row[1] if len(row) > 1 else None)


@pytest.mark.parametrize("who", sorted(ROLE_ACCOUNTS))
def test_counted_together_as_each_alone(app_ctx, who) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="一括集計の共同調達")
    declare(project, "member", [10], intent="commit")  # 青梅市's admin: one approval waiting
    person = user(who)
    with app_ctx.test_request_context():
        counts = [e for e in waiting_entries(person) if isinstance(e, WaitingCount)]
        values = viewer_values(person)
        together = count_together([e.statement for e in counts], values)
        assert together == [_alone(e.statement, values) for e in counts]
        figure_counts = [e for e in figure_entries(person) if isinstance(e, FigureCount)]
        assert count_together([e.statement for e in figure_counts], values) == [
            _alone(e.statement, values) for e in figure_counts]
        items = {i.key: i for i in waiting_for(person)}
        figures, waiting = dashboard_for(person)
        assert {i.key: i for i in waiting} == items
        assert figures == figures_for(person)
    if who == "tenant_admin":
        assert items["procurement.approvals"].count == 1
        assert items["procurement.declarations_due"].count >= 1


@pytest.mark.parametrize("who", ["member", "tenant_admin", "curator", "other_admin"])
def test_casebook_figures_count_what_they_name(app_ctx, who) -> None:  # type: ignore[no-untyped-def]
    """The casebook's figures (counted in the dashboard's union, sharing the statements of "waiting for you") are
    the municipality's cases by release state and the curators' queue, as the lists they link to count them."""
    from flask import url_for

    from casebook.models import Case, Submission
    from casebook.services import propose_case
    from tests.factories.casebook import make_case

    author = user("member")
    for title in ("承認待ちの事例", "もう一つの承認待ち"):
        propose_case(make_case(author.tenant_id, "member@ome.example.jp", title=title), author.id)
    make_case(author.tenant_id, "member@ome.example.jp", title="下書きの事例")
    person = user(who)
    states = dict(db.session.execute(select(Case.release_state, func.count()).where(
        Case.tenant_id == person.tenant_id).group_by(Case.release_state)).all())
    queued = db.session.scalar(select(func.count()).select_from(Submission).where(Submission.status == "queued"))
    with app_ctx.test_request_context():
        shown = {f.url: f.value for f in figures_for(person)}
        proposed = url_for("casebook.cases_index", state="proposed")
        expected = {}
        if person.can(Permission.CASES_READ_OWN):
            expected[url_for("casebook.cases_index")] = f"{sum(states.values()):,}"
        if person.can(Permission.TENANT_APPROVE_RELEASE):
            expected[proposed] = f"{states.get('proposed', 0):,}"
        if person.can(Permission.CASEBOOK_CURATE):
            expected[url_for("casebook.curation_queue")] = f"{queued:,}"
    assert {url: shown.get(url) for url in expected} == expected
    if who == "tenant_admin":
        assert states["proposed"] >= 2 and shown[proposed] == f"{states['proposed']:,}"


def test_each_branch_stays_under_the_viewers_tenant(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """A municipality's pending declaration is counted for its own admin only, also inside the UNION."""
    from procurement.models import Declaration

    project = make_project(title="他団体には数えない案件")
    declare(project, "member", [10], intent="commit")  # 青梅市
    ome_count, also = (select(func.count()).where(Declaration.status == "pending_approval",
                                                  Declaration.project_id == project.id) for _ in range(2))
    user("other_admin")  # bound to 江東区: RLS hides 青梅市's declaration even without a tenant condition
    assert count_together([ome_count, also])[0][0] == 0
    user("tenant_admin")
    assert count_together([ome_count, also]) == [(1, None), (1, None)]


def test_a_statement_given_twice_is_asked_once(app_ctx, count_queries) -> None:  # type: ignore[no-untyped-def]
    """A figure and a "waiting for you" item giving the same statement object share one branch of the union."""
    from casebook.waiting import APPROVALS, REVIEW_QUEUE

    person = user("tenant_admin")
    values = viewer_values(person)
    alone = [_alone(APPROVALS, values), _alone(REVIEW_QUEUE, values)]
    with count_queries() as statements:
        together = count_together([APPROVALS, REVIEW_QUEUE, APPROVALS], values)
    assert together == [alone[0], alone[1], alone[0]]
    assert len(statements) == 1 and statements[0].count("UNION ALL") == 1, statements


def test_admins_dashboard_counts_in_one_statement(client, login_as, count_queries) -> None:  # type: ignore[no-untyped-def]
    login_as("tenant_admin")
    client.get("/")
    with count_queries() as statements:
        page = client.get("/")
    assert page.status_code == 200
    counts = [s for s in statements if "count(" in s.lower()]
    # The community roster, and one UNION ALL for the rest (the casebook's figures too).
    assert sum("UNION ALL" in s for s in statements) == 1, "\n".join(statements)
    assert len(counts) <= 2, "\n".join(counts)
