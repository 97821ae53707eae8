"""The login page says why the person is there; the curator's navigation reaches the review queue."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from devtools.demo import OME
from kernel.extensions import db
from tenants.context import as_tenant
from tenants.models import AuthSession
from tests.conftest import login


def test_logout_and_timeout_are_explained_on_the_login_page(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, "member")
    client.post("/logout")
    assert "ログアウトしました。" in client.get("/login").get_data(as_text=True)
    assert 'data-testid="login-reason"' not in client.get("/login").get_data(as_text=True)  # said once

    login(client, "member")
    with app.app_context(), as_tenant(OME):  # the sessions are tenant rows: bound, or RLS shows none
        changed = db.session.execute(update(AuthSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=2)))
        assert changed.rowcount >= 1  # type: ignore[attr-defined]
        db.session.commit()
    gone = client.get("/cases/new")
    assert gone.status_code == 302 and "/login" in gone.location
    assert "しばらく操作がなかったため" in client.get(gone.location).get_data(as_text=True)


def test_curator_navigation_reaches_the_review_queue(app) -> None:  # type: ignore[no-untyped-def]
    curator = app.test_client()
    login(curator, "curator")
    assert '<a href="/curation"' in curator.get("/").get_data(as_text=True)
    member = app.test_client()
    login(member, "member")
    assert '<a href="/curation"' not in member.get("/").get_data(as_text=True)
