"""No typed work is lost (issue 17.3): autosaved drafts offered back, a form sent after the session ended
kept and restored after logging in again, the idle warning's extend button — and never for anyone else."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update

from devtools.demo import KOTO, OME
from kernel import drafts
from kernel.drafts import FormDraft
from kernel.extensions import db
from tenants.context import as_tenant
from tenants.models import AuthSession, User
from tests.conftest import ROLE_ACCOUNTS, login

TITLE = "下書きテスト：窓口のキャッシュレス化"


def _marker(page: str) -> str:
    match = re.search(r'name="_draft" value="([^"]+)"', page)
    assert match, "the form carries no draft marker"
    return match.group(1)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match
    return match.group(1)


def _user_id(app: Flask, who: str) -> int:
    tenant, email = ROLE_ACCOUNTS[who]
    with app.app_context(), as_tenant(tenant):
        found = db.session.scalar(select(User.id).where(User.tenant_id == tenant, User.email == email))
        assert found is not None
        return int(found)


def _drafts_of(app: Flask, tenant: str) -> list[tuple[int, str, str, list[list[str]]]]:
    with app.app_context(), as_tenant(tenant):
        rows = db.session.execute(select(FormDraft.user_id, FormDraft.form_key, FormDraft.kind, FormDraft.fields)
                                  .where(FormDraft.tenant_id == tenant)).all()
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]


def _cases_titled(app: Flask, title: str) -> int:
    from casebook.models import Case

    with app.app_context(), as_tenant(OME):
        return int(db.session.scalar(select(func.count()).select_from(Case).where(Case.title == title)) or 0)


def _expire_sessions(app: Flask, tenant: str = OME) -> None:
    with app.app_context(), as_tenant(tenant):
        db.session.execute(update(AuthSession).where(AuthSession.tenant_id == tenant)
                           .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
        db.session.commit()


def _case_form(title: str, marker: str, **extra: str) -> dict[str, str]:
    return {"title": title, "summary": "要約", "stage": "implemented", "_draft": marker, **extra}


def test_autosave_is_offered_back_restored_and_discarded(app: Flask) -> None:
    client = login(app.test_client(), "member")
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'data-testid="draft-offer"' not in page
    saved = client.post("/drafts/save", data={"_draft": _marker(page), "title": TITLE, "summary": "途中まで",
                                               "_once": "a-one-time-token", "csrf_token": "x"})
    assert saved.status_code == 200 and saved.json["saved"] is True
    assert 0 < saved.json["expires_in"] <= 30 * 60
    [(_user, key, kind, fields)] = _drafts_of(app, OME)
    assert (key, kind) == ("/cases/new", "autosave")
    assert ["_once", "a-one-time-token"] not in fields and ["csrf_token", "x"] not in fields  # tokens never kept

    offered = client.get("/cases/new").get_data(as_text=True)
    assert "下書きを復元しますか" in offered and "復元する" in offered and "破棄する" in offered
    assert TITLE not in offered  # only offered, not filled in unasked
    restored = client.get("/cases/new?draft=restore").get_data(as_text=True)
    assert f'value="{TITLE}"' in restored and "途中まで" in restored
    assert 'data-testid="draft-offer"' not in restored

    gone = client.post("/drafts/discard", data={"key": "/cases/new"})
    assert gone.status_code == 303 and gone.location.endswith("/cases/new")
    assert _drafts_of(app, OME) == []
    assert 'data-testid="draft-offer"' not in client.get("/cases/new").get_data(as_text=True)


def test_a_saved_form_deletes_its_draft(app: Flask) -> None:
    client = login(app.test_client(), "member")
    marker = _marker(client.get("/cases/new").get_data(as_text=True))
    client.post("/drafts/save", data={"_draft": marker, "title": TITLE})
    assert len(_drafts_of(app, OME)) == 1
    done = client.post("/cases/new", data=_case_form(TITLE, marker))
    assert done.status_code == 302 and "/cases/" in done.location
    assert _drafts_of(app, OME) == []
    assert _cases_titled(app, TITLE) == 1


def test_a_form_posted_after_the_idle_limit_is_kept_and_restored_after_login(app: Flask) -> None:
    client = login(app.test_client(), "member")
    marker = _marker(client.get("/cases/new").get_data(as_text=True))
    _expire_sessions(app)
    posted = client.post("/cases/new", data=_case_form(TITLE, marker, problem="長い本文"))
    assert posted.status_code == 302 and "/login?next=" in posted.location and "cases" in posted.location
    assert _cases_titled(app, TITLE) == 0  # never executed
    [(user, key, kind, _fields)] = _drafts_of(app, OME)
    assert (user, key, kind) == (_user_id(app, "member"), "/cases/new", "posted")
    assert "入力した内容は保管されています" in client.get(posted.location).get_data(as_text=True)

    login(client, "member")
    back = client.get("/cases/new").get_data(as_text=True)
    assert f'value="{TITLE}"' in back and "長い本文" in back
    assert "送信した内容を復元しました" in back
    assert 'data-testid="draft-offer"' not in back
    again = client.get("/cases/new").get_data(as_text=True)  # told once; afterwards an ordinary offer
    assert "送信した内容を復元しました" not in again and 'data-testid="draft-offer"' in again

    assert client.post("/cases/new", data=_case_form(TITLE, _marker(back), problem="長い本文")).status_code == 302
    assert _cases_titled(app, TITLE) == 1 and _drafts_of(app, OME) == []


@pytest.fixture
def csrf_on(app: Flask):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_logout_in_another_tab_then_save_keeps_the_form_never_runs_it(app: Flask, csrf_on: None) -> None:
    client = login(app.test_client(), "member")
    page = client.get("/cases/new").get_data(as_text=True)
    token, marker = _csrf(page), _marker(page)
    client.post("/logout", data={"csrf_token": token})  # the other tab
    posted = client.post("/cases/new", data=_case_form(TITLE, marker, csrf_token=token))
    # the CSRF token died with the session: refused as a request, but the text is kept, not a 400 page
    assert posted.status_code == 303 and "/login?next=%2Fcases%2Fnew" in posted.location
    assert _cases_titled(app, TITLE) == 0
    assert [(k, kind) for _u, k, kind, _f in _drafts_of(app, OME)] == [("/cases/new", "posted")]
    assert "入力した内容は保管されています" in client.get(posted.location).get_data(as_text=True)
    login(client, "member")
    assert f'value="{TITLE}"' in client.get("/cases/new").get_data(as_text=True)


def test_a_form_is_never_kept_for_someone_else_or_from_another_site(app: Flask, csrf_on: None) -> None:
    client = login(app.test_client(), "member")
    page = client.get("/cases/new").get_data(as_text=True)
    token, marker = _csrf(page), _marker(page)
    client.post("/logout", data={"csrf_token": token})
    # a request another site makes the browser send is refused as before and keeps nothing
    forged = client.post("/cases/new", data=_case_form(TITLE, marker, csrf_token=token),
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 400 and _drafts_of(app, OME) == []
    # someone else logs in on this browser: the member's form is not handed to them
    login(client, "tenant_admin")
    refused = client.post("/cases/new", data=_case_form(TITLE, marker, csrf_token=token))
    assert refused.status_code == 400 and _drafts_of(app, OME) == []
    # a marker this app did not sign is worth nothing
    bad = client.post("/cases/new", data=_case_form(TITLE, marker[:-3] + "xyz", csrf_token=token))
    assert bad.status_code == 400 and _drafts_of(app, OME) == []


def test_drafts_are_the_owners_only(app: Flask) -> None:
    member = login(app.test_client(), "member")
    marker = _marker(member.get("/cases/new").get_data(as_text=True))
    assert member.post("/drafts/save", data={"_draft": marker, "title": TITLE}).status_code == 200
    # another person of the same municipality, and a member of another, never see it …
    for who in ("tenant_admin", "other_member"):
        other = login(app.test_client(), who)
        page = other.get("/cases/new").get_data(as_text=True)
        assert 'data-testid="draft-offer"' not in page and TITLE not in other.get("/cases/new?draft=restore").get_data(
            as_text=True)
        # … and cannot write into it with the member's marker
        assert other.post("/drafts/save", data={"_draft": marker, "title": "乗っ取り"}).status_code == 403
        other.post("/drafts/discard", data={"key": "/cases/new"})
    [(_u, _k, _kind, fields)] = _drafts_of(app, OME)
    assert ["title", TITLE] in fields
    assert _drafts_of(app, KOTO) == []
    assert app.test_client().post("/drafts/save", data={"_draft": marker, "title": "x"}).status_code == 403


def test_draft_rows_are_isolated_by_rls(app: Flask) -> None:
    with app.app_context(), as_tenant(OME):
        drafts.save(OME, _user_id(app, "member"), "/cases/new", [["title", TITLE]])
        db.session.flush()
        with as_tenant(KOTO):
            assert db.session.scalar(text("SELECT count(*) FROM form_drafts")) == 0
        with as_tenant(None):
            assert db.session.scalar(text("SELECT count(*) FROM form_drafts")) == 0
        assert db.session.scalar(text("SELECT count(*) FROM form_drafts")) == 1
        db.session.rollback()


def test_old_drafts_expire_and_are_cleaned(app: Flask) -> None:
    member = _user_id(app, "member")
    with app.app_context(), as_tenant(OME):
        drafts.save(OME, member, "/cases/new", [["title", TITLE]])
        drafts.save(OME, member, "/cases/1/edit", [["title", "新しい"]])
        db.session.execute(update(FormDraft).where(FormDraft.form_key == "/cases/new")
                           .values(updated_at=datetime.now(UTC) - timedelta(days=15)))
        assert drafts.find(OME, member, "/cases/new") is None  # past DRAFT_KEEP_DAYS: never offered
        assert drafts.forget_old(OME) == 1
        assert drafts.find(OME, member, "/cases/1/edit") is not None
        db.session.rollback()


def test_long_forms_of_every_module_carry_the_marker(app: Flask) -> None:
    assert {"casebook.cases_new", "casebook.cases_edit", "awards.entry_new", "awards.entry",
            "procurement.project_new", "procurement.project_edit", "procurement.declaration"} <= drafts._DRAFTABLE
    client = login(app.test_client(), "curator")
    assert 'name="_draft"' in client.get("/procurement/new").get_data(as_text=True)
    # other forms (search, language, logout) carry none
    assert 'name="_draft"' not in client.get("/").get_data(as_text=True)


def test_extend_restarts_the_idle_limit_and_asking_does_not(app: Flask) -> None:
    client: FlaskClient = login(app.test_client(), "member")
    with app.app_context(), as_tenant(OME):
        db.session.execute(update(AuthSession).where(AuthSession.tenant_id == OME)
                           .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=28)))
        db.session.commit()
    status = client.get("/session/status")
    assert status.json["authenticated"] is True and 60 <= status.json["expires_in"] <= 120
    assert client.get("/session/status").json["expires_in"] <= 120  # asking did not count as activity
    page = client.get("/session/status")
    assert page.json["expires_in"] <= 120
    extended = client.post("/session/extend", headers={"Accept": "application/json"})
    assert extended.status_code == 200 and extended.json["expires_in"] >= 29 * 60
    # without script: the dialog's plain form sends the person back where they were
    plain = client.post("/session/extend", data={"next": "/cases"})
    assert plain.status_code == 303 and plain.location.endswith("/cases")
    anonymous = app.test_client()
    assert anonymous.get("/session/status").json == {"authenticated": False, "expires_in": 0}
    assert anonymous.post("/session/extend").status_code == 302


def test_the_layout_has_the_idle_warning_only_when_logged_in(app: Flask) -> None:
    page = login(app.test_client(), "member").get("/").get_data(as_text=True)
    assert 'role="alertdialog"' in page and "js/session.js" in page and 'data-session-warn="180"' in page
    assert 'role="alertdialog"' not in app.test_client().get("/login").get_data(as_text=True)


@pytest.mark.parametrize(("who", "path", "field", "value"), [
    ("member", "/cases/new", "title", "復元される事例名"),
    ("member", "/awards/programmes/{award_programme:shared}/entries/new", "title", "復元される応募名"),
    ("member", "/awards/entries/{award_entry:own}", "summary", "復元される応募の概要"),
    ("curator", "/procurement/new", "title", "復元される共同調達案件"),
    ("curator", "/procurement/{procurement_project:shared}/edit", "description", "復元される仕様の説明"),
    ("member", "/procurement/{procurement_project:shared}/declaration", "remarks", "復元される備考"),
])
def test_every_long_form_offers_and_restores_its_draft(app: Flask, who: str, path: str, field: str,
                                                       value: str) -> None:
    from tests.authz.matrix import resolve
    from tests.authz.providers import load_all

    with app.app_context():
        path = resolve(path, load_all())
        db.session.commit()  # releases the savepoint: the objects are visible to the requests
        db.session.remove()
    client = login(app.test_client(), who)
    page = client.get(path)
    assert page.status_code == 200, path
    saved = client.post("/drafts/save", data={"_draft": _marker(page.get_data(as_text=True)), field: value})
    assert saved.status_code == 200
    assert "下書きを復元しますか" in client.get(path).get_data(as_text=True)
    restored = client.get(path + "?draft=restore").get_data(as_text=True)
    assert value in restored and "下書きを復元しました" in restored


def test_an_autosave_arriving_after_the_form_was_saved_keeps_nothing(app: Flask) -> None:
    client = login(app.test_client(), "member")
    page = client.get("/cases/new").get_data(as_text=True)
    marker = _marker(page)
    once = re.search(r'action="/cases/new"[^>]*><input type="hidden" name="_once" value="([^"]+)"', page)
    assert once
    assert client.post("/cases/new", data=_case_form(TITLE, marker, _once=once.group(1))).status_code == 302
    late = client.post("/drafts/save", data={"_draft": marker, "_draft_once": once.group(1), "title": TITLE})
    assert late.status_code == 200 and late.json["saved"] is False
    assert _drafts_of(app, OME) == []  # the saved form is not offered again as a draft
    # an autosave of a form not yet sent (another token) is kept as usual
    fresh = client.post("/drafts/save", data={"_draft": marker, "_draft_once": "another-token-123", "title": "次"})
    assert fresh.json["saved"] is True and len(_drafts_of(app, OME)) == 1


@pytest.mark.parametrize("ended_by", ["absolute limit", "idle limit seen first by another tab"])
def test_a_form_is_kept_whichever_way_the_session_ended(app: Flask, ended_by: str) -> None:
    client = login(app.test_client(), "member")
    marker = _marker(client.get("/cases/new").get_data(as_text=True))
    with app.app_context(), as_tenant(OME):
        values = ({"created_at": datetime.now(UTC) - timedelta(hours=13)} if ended_by == "absolute limit"
                  else {"last_seen_at": datetime.now(UTC) - timedelta(minutes=31)})
        db.session.execute(update(AuthSession).where(AuthSession.tenant_id == OME).values(**values))
        db.session.commit()
    if ended_by.startswith("idle"):
        assert "/login" in client.get("/cases").location  # the other tab found the session over first
    posted = client.post("/cases/new", data=_case_form(TITLE, marker))
    assert posted.status_code == 302 and "/login" in posted.location
    assert [(k, kind) for _u, k, kind, _f in _drafts_of(app, OME)] == [("/cases/new", "posted")]
    assert _cases_titled(app, TITLE) == 0
