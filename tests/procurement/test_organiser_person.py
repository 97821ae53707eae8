"""Cost shares and budgets reach only the project's organisers (people), on TMG-led and municipality-led projects.

Uses the demo data: TMG's awarded project (青梅市, 江東区, 千代田区) and the project 江東区 leads
(the same three). The chart carries the municipalities' names too, so a name in the page is a leak.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from devtools.demo.procurement import AWARDED_TITLE, LED_TITLE
from kernel.extensions import db
from procurement.models import Project
from tests.conftest import login

NAMES = ("青梅市", "江東区", "千代田区")


def _project_id(app, title: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        project_id = db.session.scalar(select(Project.id).where(Project.title == title))
        db.session.remove()
    assert project_id is not None
    return int(project_id)


def _savings(client, project_id: int) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/procurement/{project_id}/savings")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("who", "visible"), [
    ("curator", set(NAMES)),  # the organiser
    ("judge", set()), ("operator", set()),  # TMG, but not organisers
    ("tenant_admin", {"青梅市"}), ("other_member", {"江東区"}), ("chiyoda_cio", {"千代田区"}),
])
def test_savings_of_tmgs_project(app, client, who: str, visible: set[str]) -> None:  # type: ignore[no-untyped-def]
    project_id = _project_id(app, AWARDED_TITLE)
    page = _savings(login(client, who), project_id)
    assert {name for name in NAMES if name in page} == visible, who
    assert 'data-testid="savings-total"' in page  # everyone who sees the project sees the total


@pytest.mark.parametrize(("who", "visible"), [
    ("other_admin", set(NAMES)),  # 江東区's tenant admin organises
    ("other_member", {"江東区"}),  # a member of the lead municipality: its own row only
    ("tenant_admin", {"青梅市"}), ("chiyoda_member", {"千代田区"}),
    ("curator", set()), ("judge", set()),
])
def test_savings_of_a_municipality_led_project(app, client, who: str,  # type: ignore[no-untyped-def]
                                               visible: set[str]) -> None:
    project_id = _project_id(app, LED_TITLE)
    page = _savings(login(client, who), project_id)
    rows = {name for name in NAMES if f'<th scope="row">{name}</th>' in page}
    assert rows == visible, who


@pytest.mark.parametrize("who", ["other_member", "curator", "judge"])
def test_declarations_and_exports_refuse_non_organisers(app, client, who: str) -> None:  # type: ignore[no-untyped-def]
    project_id = _project_id(app, LED_TITLE)
    login(client, who)
    for path in ("declarations", "export.xlsx", "ocds.json", "ocds.json?scope=internal"):
        assert client.get(f"/procurement/{project_id}/{path}").status_code == 403, (who, path)
    assert client.get(f"/api/v1/procurement/projects/{project_id}/ocds").status_code in (401, 403)


def test_the_lead_municipalitys_admin_gets_every_declaration(app, client) -> None:  # type: ignore[no-untyped-def]
    project_id = _project_id(app, LED_TITLE)
    login(client, "other_admin")
    page = client.get(f"/procurement/{project_id}/declarations").get_data(as_text=True)
    assert all(name in page for name in NAMES)
    assert "1,200,000円" in page  # 青梅市's budget ceiling
