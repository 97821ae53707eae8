"""A repeated POST answers as the first did (issue 17 point 4) also where the first answer is no redirect:
an autosave repeated with the same token is saved again (the last text wins), a re-link dry run is computed
again (it wrote nothing) — neither is answered "already sent" without its result."""
from __future__ import annotations

from sqlalchemy import select

from kernel import drafts
from kernel.extensions import db
from tests.conftest import OME, login
from tests.factories.tenants import user


def test_an_autosave_sent_twice_with_one_token_is_saved_both_times(app) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), "member")
    with app.app_context():
        person = user("member")
        marker = drafts.marker_for(person.tenant_id, person.id, "/cases/new")
        db.session.remove()
    form = {"_draft": marker, "_once": "autosave-token-1", "title": "一度目"}
    first = member.post("/drafts/save", data=form, headers={"Accept": "application/json"})
    second = member.post("/drafts/save", data={**form, "title": "二度目"}, headers={"Accept": "application/json"})
    assert first.status_code == second.status_code == 200
    assert first.json["saved"] is True and second.json["saved"] is True
    with app.app_context():
        from kernel.drafts import FormDraft
        from tenants.context import bind_tenant

        bind_tenant(OME)
        rows = db.session.scalars(select(FormDraft).where(FormDraft.form_key == "/cases/new")).all()
        assert len(rows) == 1 and "二度目" in str(rows[0].fields)  # one draft, the last text
        db.session.remove()


def test_a_relink_dry_run_sent_twice_is_computed_twice(app) -> None:  # type: ignore[no-untyped-def]
    from tests.authz.providers.shell import sso_provider

    with app.app_context():
        sso_provider("own")
        db.session.commit()
        db.session.remove()
    admin = login(app.test_client(), "tenant_admin")
    form = {"mode": "email", "_once": "dry-run-token-1"}
    first = admin.post("/admin/sso/relink", data=form)
    second = admin.post("/admin/sso/relink", data=form)
    assert first.status_code == second.status_code == 200
    for answer in (first, second):  # both show the report; neither is the "already sent" page
        page = answer.get_data(as_text=True)
        assert 'data-testid="relink-counts"' in page and "このフォームはすでに送信され" not in page
