"""Statement budgets of the procurement pages, and the lead-municipality organiser."""
from __future__ import annotations

import pytest

from kernel.extensions import db
from tests.conftest import login
from tests.factories.procurement import declare, make_project


@pytest.fixture
def awarded_demo_id(app) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from devtools.demo.procurement import AWARDED_TITLE
    from procurement.models import Project

    with app.app_context():
        project_id = db.session.scalar(select(Project.id).where(Project.title == AWARDED_TITLE))
        db.session.remove()
    return int(project_id)


@pytest.mark.parametrize(("who", "suffix", "limit"), [
    # The project page: the session; the project with its organiser, items, timeline, quotes (their lines and
    # tiers), documents, pooled totals and participation counts; a participant's own declaration with its
    # lines and allocation (issue 25.5: 13 statements, then 7).
    ("member", "", 3), ("curator", "", 2), ("curator", "/declarations", 8), ("member", "/savings", 6),
    ("member", "/print", 9), ("curator", "/export.xlsx", 11), ("curator", "/ocds.json", 11),
])
def test_page_statement_budget(client, count_queries, awarded_demo_id, who, suffix, limit) -> None:  # type: ignore[no-untyped-def]
    login(client, who)
    path = f"/procurement/{awarded_demo_id}{suffix}"
    client.get(path)
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert 0 < len(statements) <= limit, "\n".join(statements)


def test_lead_municipality_organises_and_reads_every_declaration(app, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        project = make_project(organiser="tenant_admin", title="青梅市主催の共同調達")
        declare(project, "other_member", [120], budget=777_000)
        declare(project, "chiyoda_member", [60], budget=None)
        project_id = project.id
        db.session.commit()
        db.session.remove()
    login(client, "tenant_admin")  # 青梅市's admin: the organiser
    page = client.get(f"/procurement/{project_id}/declarations").get_data(as_text=True)
    assert "江東区" in page and "777,000円" in page and "千代田区" in page
    login(client, "member")  # 青梅市's member is not an organiser
    assert client.get(f"/procurement/{project_id}/declarations").status_code == 403
    login(client, "chiyoda_member")
    page = client.get(f"/procurement/{project_id}").get_data(as_text=True)
    assert "777,000円" not in page and "2団体が需要を申告" in page
