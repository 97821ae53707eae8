"""The dashboard asks every "waiting for you" count and figure in one statement (issue 25.5), with the same
answers, under the same row-level security, as each statement alone."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.dashboard import dashboard_for, figures_for
from kernel.extensions import db
from kernel.waiting import WaitingCount, count_together, waiting_entries, waiting_for
from tests.conftest import ROLE_ACCOUNTS
from tests.factories.procurement import declare, make_project
from tests.factories.tenants import user


def _alone(statement):  # type: ignore[no-untyped-def]
    row = db.session.execute(statement).one()
    return int(row[0] or 0), (row[1] if len(row) > 1 else None)


@pytest.mark.parametrize("who", sorted(ROLE_ACCOUNTS))
def test_counted_together_as_each_alone(app_ctx, who) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="一括集計の共同調達")
    declare(project, "member", [10], intent="commit")  # 青梅市's admin: one approval waiting
    person = user(who)
    with app_ctx.test_request_context():
        counts = [e for e in waiting_entries(person) if isinstance(e, WaitingCount)]
        together = count_together([e.statement for e in counts])
        assert together == [_alone(e.statement) for e in counts]
        items = {i.key: i for i in waiting_for(person)}
        figures, waiting = dashboard_for(person)
        assert {i.key: i for i in waiting} == items
        assert figures == figures_for(person)
    if who == "tenant_admin":
        assert items["procurement.approvals"].count == 1
        assert items["procurement.declarations_due"].count >= 1


def test_each_branch_stays_under_the_viewers_tenant(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """A municipality's pending declaration is counted for its own admin only, also inside the UNION."""
    from procurement.models import Declaration

    project = make_project(title="他団体には数えない案件")
    declare(project, "member", [10], intent="commit")  # 青梅市
    ome_count = select(func.count()).where(Declaration.status == "pending_approval",
                                           Declaration.project_id == project.id)
    user("other_admin")  # bound to 江東区: RLS hides 青梅市's declaration even without a tenant condition
    assert count_together([ome_count, ome_count])[0][0] == 0
    user("tenant_admin")
    assert count_together([ome_count, ome_count]) == [(1, None), (1, None)]


def test_admins_dashboard_counts_in_one_statement(client, login_as, count_queries) -> None:  # type: ignore[no-untyped-def]
    login_as("tenant_admin")
    client.get("/")
    with count_queries() as statements:
        page = client.get("/")
    assert page.status_code == 200
    counts = [s for s in statements if "count(" in s.lower()]
    # The casebook's case counts (grouped by state), the community roster, and one UNION ALL for the rest.
    assert sum("UNION ALL" in s for s in statements) == 1, "\n".join(statements)
    assert len(counts) <= 3, "\n".join(counts)
