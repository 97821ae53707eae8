"""Provider changes without orphans (issue 23, point 3): a candidate provider, its test login (claims
shown, nobody logged in, nothing linked), the switch and rollback, and the re-link plan (dry run,
export, confirmation, re-link at the first login through the new provider)."""
from __future__ import annotations

import re
from typing import Any, Optional

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tenants.sso.models import SsoProvider, SsoRelinkPlan, SsoStandbyProvider
from tests.sso.conftest import KOTO, OME, Provider, authorize, configure, failures, sso_login


def _candidate_form(issuer: str, **extra: str) -> dict[str, str]:
    return {"issuer": issuer, "client_id": f"yokoten-{OME}", "client_secret": "s3cret",
            "scopes": "openid email profile", "email_claim": "email", "name_claim": "name", "groups_claim": "groups",
            **extra}


def _read(app: Flask, tenant: str, query: Any) -> Any:
    with app.app_context():
        bind_tenant(tenant)
        value = db.session.execute(query).all()
        db.session.remove()
    return value


def _user(app: Flask, email: str, tenant: str = OME) -> Optional[tuple[int, Optional[str], Optional[str]]]:
    rows = _read(app, tenant, select(User.id, User.issuer, User.subject).where(User.email == email))
    return tuple(rows[0]) if rows else None  # type: ignore[return-value]


def _actions(app: Flask, action: str) -> list[dict]:
    return [dict(r[0] or {}) for r in _read(app, OME, select(AuditEntry.after).where(AuditEntry.action == action)
                                                    .order_by(AuditEntry.id))]


def _test_login(client: FlaskClient, sub: str) -> Any:
    """The administrator's test login at the candidate: our redirect, the provider's consent, our callback."""
    response = client.get("/admin/sso/change/test")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(authorize(response.headers["Location"], sub))


def _prepare(app: Flask, client: FlaskClient, old: Provider, new: Provider) -> None:
    """青梅市 logs in through ``old``; its admin saves ``new`` as the candidate."""
    configure(app, OME, old.url)
    response = client.post("/admin/sso/change", data=_candidate_form(new.url))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def test_test_login_shows_the_claims_and_logs_nobody_in(app: Flask, login_as: Any, idp_a: Provider,
                                                       idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    _prepare(app, admin, idp_a, idp_b)
    idp_b.set_user("cand-1", email="cand1@ome.example.jp", email_verified=True, employee_id="E-0001")
    page = _test_login(admin, "cand-1")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "cand-1" in body and "E-0001" in body
    assert "誰もログインしておらず" in body  # Japanese: nobody was logged in
    assert _user(app, "cand1@ome.example.jp") is None  # nothing provisioned, nothing linked
    assert admin.get("/admin/sso/change").status_code == 200  # still the administrator's own session
    assert _actions(app, "sso.candidate_tested")[-1]["issuer"] == idp_b.url
    # The active provider is untouched.
    assert _read(app, OME, select(SsoProvider.issuer))[0][0] == idp_a.url


def test_switch_needs_a_test_then_keeps_the_old_provider_for_a_rollback(app: Flask, login_as: Any,
                                                                      idp_a: Provider, idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    _prepare(app, admin, idp_a, idp_b)
    response = admin.post("/admin/sso/change/switch", follow_redirects=True)
    assert "切り替える前に候補の IdP をテスト" in response.get_data(as_text=True)
    assert _read(app, OME, select(SsoProvider.issuer))[0][0] == idp_a.url
    idp_b.set_user("cand-2", email="cand2@ome.example.jp")
    assert _test_login(admin, "cand-2").status_code == 200
    assert admin.post("/admin/sso/change/switch").status_code == 302
    assert _read(app, OME, select(SsoProvider.issuer, SsoProvider.is_enabled))[0] == (idp_b.url, True)
    standby = _read(app, OME, select(SsoStandbyProvider.slot, SsoStandbyProvider.settings))
    assert [(s, v["issuer"], v["is_enabled"]) for s, v in standby] == [("previous", idp_a.url, False)]
    assert _actions(app, "sso.provider_switched")[-1]["issuer"] == idp_b.url
    # Staff now log in through the new provider.
    idp_b.set_user("new-staff", email="new-staff@ome.example.jp")
    assert sso_login(app.test_client(), OME, "new-staff").status_code == 302
    # Rollback: the previous provider is active again, the new one kept as previous.
    assert admin.post("/admin/sso/change/rollback").status_code == 302
    assert _read(app, OME, select(SsoProvider.issuer))[0][0] == idp_a.url
    assert [v["issuer"] for _s, v in _read(app, OME, select(SsoStandbyProvider.slot, SsoStandbyProvider.settings))] \
        == [idp_b.url]


def _dry_run(client: FlaskClient, **data: str) -> str:
    response = client.post("/admin/sso/relink", data={"mode": "email", **data})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _confirm(client: FlaskClient, page: str, **data: str) -> Any:
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/admin/sso/relink/confirm", data={"mode": "email", "fingerprint": fingerprint, **data})


def test_new_identity_takes_over_nothing_without_a_plan_then_relinks_by_verified_email(
        app: Flask, login_as: Any, idp_a: Provider, idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    _prepare(app, admin, idp_a, idp_b)
    idp_a.set_user("old-taro", email="taro@ome.example.jp", email_verified=True)
    assert sso_login(app.test_client(), OME, "old-taro").status_code == 302
    taro = _user(app, "taro@ome.example.jp")
    assert taro is not None and taro[1:] == (idp_a.url, "old-taro")
    idp_b.set_user("new-taro", email="taro@ome.example.jp", email_verified=True)
    assert _test_login(admin, "new-taro").status_code == 200
    assert admin.post("/admin/sso/change/switch").status_code == 302
    # No plan yet: the new identity does not take over Taro's account.
    assert sso_login(app.test_client(), OME, "new-taro").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "account_conflict"
    assert _user(app, "taro@ome.example.jp") == taro
    # Dry run: listed, nothing written; exportable.
    page = _dry_run(admin)
    assert 'data-category="relink"' in page and "taro@ome.example.jp" in page
    assert _read(app, OME, select(func.count()).select_from(SsoRelinkPlan))[0][0] == 0
    export = admin.post("/admin/sso/relink/export", data={"mode": "email"})
    assert export.status_code == 200 and "taro@ome.example.jp" in export.get_data(as_text=True)
    assert export.mimetype == "text/csv"
    # Confirmed: one transaction, audited; Taro re-links at the first login through the new provider.
    assert _confirm(admin, page).status_code == 302
    assert _actions(app, "sso.relink_planned")[-1]["planned"] >= 1
    # An unverified address does not re-link.
    idp_b.set_user("new-taro", email="taro@ome.example.jp", email_verified=False)
    assert sso_login(app.test_client(), OME, "new-taro").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "link_not_allowed"
    idp_b.set_user("new-taro", email="taro@ome.example.jp", email_verified=True)
    assert sso_login(app.test_client(), OME, "new-taro").status_code == 302
    assert _user(app, "taro@ome.example.jp") == (taro[0], idp_b.url, "new-taro")
    assert _actions(app, "user.sso_relink")[-1]["subject"] == "new-taro"


def test_relink_by_employee_id_with_ambiguous_and_unmatched_lines(app: Flask, login_as: Any, idp_a: Provider,
                                                                  idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    _prepare(app, admin, idp_a, idp_b)
    for sub, email in (("old-hana", "hana@ome.example.jp"), ("old-ken", "ken@ome.example.jp")):
        idp_a.set_user(sub, email=email)
        assert sso_login(app.test_client(), OME, sub).status_code == 302
    id_list = ("email,employee id\nhana@ome.example.jp, E-7\nken@ome.example.jp, E-8\n"
               "ken@ome.example.jp, E-9\nnobody@ome.example.jp, E-10\n")
    page = _dry_run(admin, mode="claim", claim="employee_id", id_list=id_list)
    rows = dict(re.findall(r'<tr data-category="(\w+)"><td>[^<]*</td><td>([^<]+)</td>', page)[::-1])
    assert {v: k for k, v in rows.items()}["hana@ome.example.jp"] == "relink"
    assert 'data-category="ambiguous"' in page and "ken@ome.example.jp" in page  # two employee ids
    assert "nobody@ome.example.jp" in page  # a line that matches no account
    assert _confirm(admin, page, mode="claim", claim="employee_id", id_list=id_list).status_code == 302
    plans = _read(app, OME, select(SsoRelinkPlan.claim, SsoRelinkPlan.value))
    assert plans == [("employee_id", "E-7")]
    idp_b.set_user("new-hana", email="hana.new@ome.example.jp", employee_id="E-7")
    assert _test_login(admin, "new-hana").status_code == 200
    assert admin.post("/admin/sso/change/switch").status_code == 302
    assert sso_login(app.test_client(), OME, "new-hana").status_code == 302
    hana = _user(app, "hana@ome.example.jp")
    assert hana is not None and hana[1:] == (idp_b.url, "new-hana")


def test_a_plan_touches_only_its_own_tenant(app: Flask, login_as: Any, idp_a: Provider, idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    _prepare(app, admin, idp_a, idp_b)
    configure(app, KOTO, idp_b.url)
    idp_b.set_user("koto-1", email="koto1@koto.example.jp")
    assert sso_login(app.test_client(), KOTO, "koto-1").status_code == 302
    # 江東区's account is not in 青梅市's dry run, even when its address is listed.
    page = _dry_run(admin, mode="claim", claim="employee_id", id_list="koto1@koto.example.jp, E-1")
    assert 'data-category="relink"' not in page and "no account with this e-mail address" not in page
    assert "このメールアドレスのアカウントはありません" in page
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(func.count()).select_from(User).where(User.tenant_id == KOTO)) == 0
        db.session.remove()


def test_bad_input_is_refused_in_japanese_and_writes_nothing(app: Flask, login_as: Any, idp_a: Provider,
                                                            idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    configure(app, OME, idp_a.url)
    response = admin.post("/admin/sso/change", data=_candidate_form("ftp://idp.example.jp"))
    assert response.status_code == 400 and "https:// で始まる URL" in response.get_data(as_text=True)
    assert _read(app, OME, select(func.count()).select_from(SsoStandbyProvider))[0][0] == 0
    response = admin.post("/admin/sso/relink", data={"mode": "claim", "claim": "employee_id",
                                                      "id_list": "taro@ome.example.jp, E-1\nthis is not a line"})
    assert response.status_code == 400 and "2 行目" in response.get_data(as_text=True)
    response = admin.post("/admin/sso/relink", data={"mode": "claim", "claim": "", "id_list": "a@b.jp, 1"})
    assert response.status_code == 400 and "職員番号のクレーム名を入力してください" in response.get_data(as_text=True)
    response = admin.post("/admin/sso/relink/confirm", data={"mode": "email", "fingerprint": "0" * 32},
                          follow_redirects=True)
    assert "ドライラン" in response.get_data(as_text=True)
    assert _read(app, OME, select(func.count()).select_from(SsoRelinkPlan))[0][0] == 0
    assert admin.post("/admin/sso/change/switch").status_code == 303  # no candidate: refused
    assert _read(app, OME, select(SsoProvider.issuer))[0][0] == idp_a.url


def test_candidate_keeps_the_secret_expiry_and_client_authentication(app: Flask, login_as: Any, idp_a: Provider,
                                                                     idp_b: Provider) -> None:
    admin = login_as("tenant_admin")
    configure(app, OME, idp_a.url)
    response = admin.post("/admin/sso/change", data=_candidate_form(
        idp_b.url, client_secret_expires_on="2027-03-31", token_auth_method="client_secret_basic"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    settings = _read(app, OME, select(SsoStandbyProvider.settings))[0][0]
    assert settings["client_secret_expires_on"] == "2027-03-31"
    assert settings["token_auth_method"] == "client_secret_basic"
    assert 'value="2027-03-31"' in admin.get("/admin/sso/change").get_data(as_text=True)
    # A switch carries them to the active provider.
    idp_b.set_user("cand-9", email="cand9@ome.example.jp")
    assert _test_login(admin, "cand-9").status_code == 200
    assert admin.post("/admin/sso/change/switch").status_code == 302
    expiry = _read(app, OME, select(SsoProvider.client_secret_expires_on))[0][0]
    assert expiry is not None and expiry.isoformat() == "2027-03-31"


def test_a_failed_test_login_is_said_audited_and_cannot_be_replayed(app: Flask, login_as: Any, idp_a: Provider,
                                                                   idp_b: Provider) -> None:
    from tenants.sso.models import SsoLoginState

    admin = login_as("tenant_admin")
    _prepare(app, admin, idp_a, idp_b)
    idp_b.set_user("cand-x", email="candx@ome.example.jp")
    start = admin.get("/admin/sso/change/test")
    callback = authorize(start.headers["Location"], "cand-x") + "&iss=https%3A%2F%2Fidp.evil.example"
    response = admin.get(callback, follow_redirects=True)
    assert "候補の IdP でのテストログインに失敗しました（issuer_mismatch）" in response.get_data(as_text=True)
    assert _actions(app, "sso.candidate_test_failed")[-1]["reason"] == "issuer_mismatch"
    assert _read(app, OME, select(func.count()).select_from(SsoLoginState))[0][0] == 0  # consumed for good
    assert _read(app, OME, select(SsoStandbyProvider.tested_at))[0][0] is None  # not counted as tested
