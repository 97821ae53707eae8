"""The layout's shared parts are kept per worker (kernel/fragments.py, issue 25.5); what belongs to one person
or one page never is: two people of two municipalities in two languages each see their own header, roles,
navigation, CSRF token and page address, and a role change shows at the next page."""
from __future__ import annotations

import re

from flask import Flask

from kernel.extensions import db
from tenants.context import as_tenant
from tenants.models import User
from tenants.services import set_roles
from tests.conftest import OTHER_TENANT, OWN_TENANT, ROLE_ACCOUNTS, login


def _header(html: str) -> dict[str, object]:
    who = html.split('data-testid="who">', 1)[1].split("</p>", 1)[0]
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return {
        "tenant": re.search(r'<span class="who__tenant">([^<]+)</span>', who).group(1),  # type: ignore[union-attr]
        "name": re.search(r'class="who__name"[^>]*>([^<]+)</a>', who).group(1),  # type: ignore[union-attr]
        "roles": re.findall(r'<span class="badge">([^<]+)</span>', who),
        "nav": re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav),
        "meta_csrf": re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1),  # type: ignore[union-attr]
        "form_csrf": set(re.findall(r'name="csrf_token" value="([^"]*)"', html)),
        "next": set(re.findall(r'name="next" value="([^"]*)"', html)),
        "lang": re.search(r'<html lang="(\w+)">', html).group(1),  # type: ignore[union-attr]
    }


def _display_name(app: Flask, who: str) -> str:
    tenant, email = ROLE_ACCOUNTS[who]
    with app.app_context(), as_tenant(tenant):
        user = db.session.query(User).filter_by(tenant_id=tenant, email=email).one()
        return user.display_name


def test_two_people_two_municipalities_two_languages(app) -> None:  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        ome, koto = login(app.test_client(), "member"), login(app.test_client(), "other_admin")
        koto.post("/lang", data={"lang": "en", "next": "/", "csrf_token": _header(koto.get("/").get_data(
            as_text=True))["meta_csrf"]})
        for round_ in range(2):  # the second round is served from the kept fragments
            mine = _header(ome.get("/profile/").get_data(as_text=True))
            theirs = _header(koto.get("/cases?x=1").get_data(as_text=True))
            assert mine["lang"] == "ja" and theirs["lang"] == "en", round_
            assert mine["tenant"] == "青梅市" and theirs["tenant"] == "Koto"
            assert mine["name"] == _display_name(app, "member") and theirs["name"] == _display_name(app, "other_admin")
            assert mine["roles"] == ["職員"] and sorted(theirs["roles"]) == ["Administrator", "Member"]
            # Each form carries the person's own token and the page's own address.
            assert mine["form_csrf"] == {mine["meta_csrf"]} and theirs["form_csrf"] == {theirs["meta_csrf"]}
            assert mine["meta_csrf"] != theirs["meta_csrf"]
            assert mine["next"] == {"/profile/"} and theirs["next"] == {"/cases?x=1"}
            their_labels = [label for _url, _current, label in theirs["nav"]]
            my_labels = [label for _url, _current, label in mine["nav"]]
            assert "Administration" in their_labels and "管理" not in my_labels
            assert "ホーム" in my_labels and "Home" in their_labels
            assert ("/cases", " aria-current=\"page\"") in [(url, current) for url, current, _l in theirs["nav"]]
            assert not any(current for _url, current, _label in mine["nav"])  # the profile is no nav entry
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert app.extensions["yokoten_fragments"], "the layout's shared parts are kept"


def test_a_role_change_shows_in_the_next_page(app, in_app) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), "member")
    before = _header(member.get("/").get_data(as_text=True))
    assert "管理" not in [label for _u, _c, label in before["nav"]] and before["roles"] == ["職員"]

    def promote() -> None:
        tenant, admin_email = ROLE_ACCOUNTS["tenant_admin"]
        with as_tenant(tenant):
            admin = db.session.query(User).filter_by(tenant_id=tenant, email=admin_email).one()
            user = db.session.query(User).filter_by(tenant_id=tenant, email=ROLE_ACCOUNTS["member"][1]).one()
            set_roles(admin, user, {"member", "tenant_admin"})

    in_app(promote)
    after = _header(member.get("/").get_data(as_text=True))
    assert "管理" in [label for _u, _c, label in after["nav"]]
    assert sorted(after["roles"]) == sorted(["職員", "管理者"])
    assert OWN_TENANT != OTHER_TENANT


def test_templates_that_reload_are_not_kept(app) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), "member")
    app.extensions["yokoten_fragments"].clear()
    app.jinja_env.auto_reload = True
    try:
        assert member.get("/profile/").status_code == 200
        assert not app.extensions["yokoten_fragments"]
    finally:
        app.jinja_env.auto_reload = False
    assert member.get("/profile/").status_code == 200
    assert app.extensions["yokoten_fragments"]


def test_profile_scope_checkboxes_kept_only_when_nothing_is_ticked(app) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), "member")
    for _ in range(2):
        page = member.get("/profile/").get_data(as_text=True)
        assert len(re.findall(r'<input id="scopes-\d+" name="scopes" type="checkbox"', page)) == 12
        assert " checked " not in page
    refused = member.post("/profile/tokens", data={"name": "", "scopes": ["cases:read", "awards:write"]})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    ticked = re.findall(r'<input checked id="scopes-\d+" name="scopes" type="checkbox" value="([^"]+)"', html)
    assert sorted(ticked) == ["awards:write", "cases:read"]
    assert " checked " not in member.get("/profile/").get_data(as_text=True)


def test_the_idle_warning_settings_follow_the_configuration(app) -> None:  # type: ignore[no-untyped-def]
    member = login(app.test_client(), "member")
    assert 'data-session-warn="180"' in member.get("/profile/").get_data(as_text=True)
    previous = app.config["SESSION_WARN_SECONDS"]
    app.config["SESSION_WARN_SECONDS"] = 7
    try:
        assert 'data-session-warn="7"' in member.get("/profile/").get_data(as_text=True)
    finally:
        app.config["SESSION_WARN_SECONDS"] = previous
