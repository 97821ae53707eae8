"""Rounds in the browser as a municipality's admin and members would use them (in-process client)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from kernel.extensions import db
from tenants.context import as_tenant
from tests.conftest import OWN_TENANT
from tests.factories.workload import task_id
from workload.models import Department, Entry, Round

FY = 2031


def _open(client) -> int:  # type: ignore[no-untyped-def]
    response = client.post("/workload/rounds/new", data={"fiscal_year": FY, "departments": "市民課\n課税課\n市民課"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_admin_opens_a_round_and_a_member_enters_hours(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("tenant_admin")
    round_id = _open(client)
    assert _open(client) == round_id  # a double submit returns the same round
    page = client.get(f"/workload/rounds/{round_id}").get_data(as_text=True)
    assert "市民課" in page and "課税課" in page and "未着手" in page
    with app.app_context(), as_tenant(OWN_TENANT):
        departments = list(db.session.scalars(select(Department).where(Department.round_id == round_id)
                                              .order_by(Department.id)))
        mad01 = task_id("MAD01")
    assert [d.name for d in departments] == ["市民課", "課税課"]
    login_as("member")
    url = f"/workload/rounds/{round_id}/departments/{departments[0].id}"
    response = client.post(url, data={"version": "1", f"hours-S{mad01}": "１２０.５", f"per-S{mad01}": "month",
                                      f"cases-S{mad01}": "3,000", f"paper-S{mad01}": "80"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context(), as_tenant(OWN_TENANT):
        entry = db.session.scalar(select(Entry).where(Entry.department_id == departments[0].id))
        assert entry is not None
        assert (entry.hours_per_year, entry.entered_per, entry.cases_per_year, entry.paper_share) == \
            (Decimal("1446.0"), "month", 3000, 80)
    stale = client.post(url, data={"version": "1", f"hours-S{mad01}": "10"})
    assert stale.status_code == 409
    assert "変更は保存されていません" in stale.get_data(as_text=True)
    bad = client.post(url, data={"version": "2", f"hours-S{mad01}": "abc", f"cases-S{mad01}": "-1"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "何も保存されていません" in text
    with app.app_context(), as_tenant(OWN_TENANT):
        assert db.session.scalar(select(Entry.hours_per_year).where(Entry.department_id == departments[0].id)) \
            == Decimal("1446.0")
        assert db.session.scalar(select(Round.status).where(Round.id == round_id)) == "open"
    results = client.get(f"/workload/rounds/{round_id}/results")
    assert results.status_code == 200
    assert "1,446.0" in results.get_data(as_text=True)
