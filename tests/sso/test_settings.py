"""Provider settings: the tenant admin page, the operators' CLI, encryption at rest, audit, rate limits."""
from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.sso.models import SsoProvider
from tests.conftest import BASE_CONFIG
from tests.sso.conftest import KOTO, OME

FORM = {
    "issuer": "https://login.microsoftonline.com/0000-tenant/v2.0", "client_id": "ome-portal",
    "client_secret": "top-secret-value", "scopes": "openid email profile", "email_claim": "email",
    "name_claim": "name", "groups_claim": "groups", "allowed_domains": "city.ome.tokyo.jp\nome.example.jp",
    "role_mapping": "yokoten-admins = tenant_admin, member\n# comment\nyokoten-judges = judge", "is_enabled": "y",
}


def _provider(app, tenant: str = OME):  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(tenant)
        row = db.session.get(SsoProvider, tenant)
        result = None if row is None else {c: getattr(row, c) for c in (
            "issuer", "client_id", "client_secret_enc", "scopes", "allowed_domains", "role_mapping", "is_enabled")}
        db.session.remove()
    return result


def _audit(app, tenant: str, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(tenant)
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return list(rows)


def test_admin_saves_settings_secret_encrypted_and_audited(app, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("tenant_admin")
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "http://localhost/login/132055/callback" in page  # what to register at the provider
    assert "シングルサインオン（OpenID Connect）" in page
    response = client.post("/admin/sso", data=FORM)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    saved = _provider(app)
    assert saved["issuer"] == FORM["issuer"] and saved["allowed_domains"] == ["city.ome.tokyo.jp", "ome.example.jp"]
    assert saved["role_mapping"] == {"yokoten-admins": ["member", "tenant_admin"], "yokoten-judges": ["judge"]}
    assert "top-secret-value" not in saved["client_secret_enc"] and saved["client_secret_enc"].startswith("gAAAA")
    entry = _audit(app, OME, "sso.settings")[-1]
    assert entry.before is None and entry.after["secret_changed"] is True and entry.after["has_secret"] is True
    assert "top-secret-value" not in str(entry.after)
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "top-secret-value" not in page and "gAAAA" not in page
    # Saving again without a secret keeps it; the change of the client id is audited with before/after.
    response = client.post("/admin/sso", data={**FORM, "client_secret": "", "client_id": "ome-portal-2"})
    assert response.status_code == 302
    assert _provider(app)["client_secret_enc"] == saved["client_secret_enc"]
    entry = _audit(app, OME, "sso.settings")[-1]
    assert entry.before["client_id"] == "ome-portal" and entry.after["client_id"] == "ome-portal-2"
    assert entry.after["secret_changed"] is False
    assert client.get("/login").get_data(as_text=True).count("/login/132055") == 0  # logged in: no picker
    anonymous = app.test_client()
    assert 'href="/login/132055"' in anonymous.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("change, field, message", [
    ({"issuer": "http://idp.example.jp"}, "issuer", "https://"),
    ({"issuer": "not a url"}, "issuer", "https://"),
    ({"client_id": ""}, "client_id", ""),
    ({"scopes": "email profile"}, "scopes", "openid"),
    ({"email_claim": "e mail"}, "email_claim", "クレーム名"),
    ({"allowed_domains": "not_a_domain"}, "allowed_domains", "メールドメイン"),
    ({"role_mapping": "admins = operator"}, "role_mapping", "割り当てられない役割"),
    ({"role_mapping": "just text"}, "role_mapping", "グループ名 = 役割"),
    ({"issuer": "https://accounts.google.com", "allowed_domains": ""}, "allowed_domains", "Google"),
    # Internal addresses (SSRF): the metadata service, a private network, a port on this machine.
    ({"issuer": "https://169.254.169.254/latest/meta-data"}, "issuer", "内部ネットワーク"),
    ({"issuer": "https://10.0.0.1:8443/"}, "issuer", "SSO_OUTBOUND_ALLOW"),
    ({"issuer": "https://[::ffff:10.0.0.1]/"}, "issuer", "内部ネットワーク"),
])
def test_bad_settings_give_400_with_a_japanese_message_and_write_nothing(app, login_as, change, field,  # type: ignore[no-untyped-def]
                                                                         message) -> None:
    client = login_as("tenant_admin")
    response = client.post("/admin/sso", data={**FORM, **change})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert f'id="{field}-error"' in body and f'aria-describedby="{field}-error"' in body or \
        f'aria-describedby="{field}-hint {field}-error"' in body
    assert _provider(app) is None
    assert _audit(app, OME, "sso.settings") == []


def test_admin_of_another_tenant_only_sees_their_own(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    assert login_as("tenant_admin").post("/admin/sso", data=FORM).status_code == 302
    other = app.test_client()
    from tests.conftest import login

    login(other, "other_admin")
    page = other.get("/admin/sso").get_data(as_text=True)
    assert "ome-portal" not in page and "login.microsoftonline.com/0000-tenant" not in page
    assert "http://localhost/login/131083/callback" in page


def test_secrets_decrypt_and_rekey_rotates(app) -> None:  # type: ignore[no-untyped-def]
    from tenants.sso.crypto import SecretKeyError, decrypt_secret, encrypt_secret, rotate_secret

    with app.app_context():
        old_key = app.config["SSO_SECRET_KEY"]
        token = encrypt_secret("s3cret")
        assert decrypt_secret(token) == "s3cret" and encrypt_secret("") == ""
        new_key = Fernet.generate_key().decode()
        app.config["SSO_SECRET_KEY"] = f"{new_key},{old_key}"
        try:
            rotated = rotate_secret(token)
            assert decrypt_secret(rotated) == "s3cret"
            app.config["SSO_SECRET_KEY"] = new_key  # the old key is gone: only the rotated one decrypts
            assert decrypt_secret(rotated) == "s3cret"
            with pytest.raises(SecretKeyError):
                decrypt_secret(token)
            app.config["SSO_SECRET_KEY"] = "not-a-fernet-key"
            with pytest.raises(SecretKeyError):
                encrypt_secret("x")
        finally:
            app.config["SSO_SECRET_KEY"] = old_key


def test_cli_set_show_rekey(app, cluster) -> None:  # type: ignore[no-untyped-def]
    """The operators' commands run as the owner role (here on a scratch copy of the template)."""
    from portal.app import create_app

    urls = cluster.create_from_template("ssocli")
    try:
        key = Fernet.generate_key().decode()
        cli_app = create_app({**BASE_CONFIG, **urls, "SSO_SECRET_KEY": key})
        runner = cli_app.test_cli_runner()
        result = runner.invoke(args=["sso", "set", "--tenant", "130001", "--issuer", "https://idp.metro.tokyo.jp",
                                     "--client-id", "yokoten", "--client-secret-env", "YK_TEST_SECRET",
                                     "--allowed-domain", "metro.tokyo.jp", "--map", "curators=curator",
                                     "--map", "ops=operator,judge"], env={"YK_TEST_SECRET": "cli-secret"})
        assert result.exit_code == 0, result.output
        shown = runner.invoke(args=["sso", "show", "--tenant", "130001"]).output
        assert "https://idp.metro.tokyo.jp" in shown and "stored (encrypted)" in shown and "cli-secret" not in shown
        assert "curators = curator" in shown and "ops = judge, operator" in shown
        # A municipality may not be given curator or operator, even by the CLI.
        bad = runner.invoke(args=["sso", "set", "--tenant", OME, "--issuer", "https://idp.ome.jp",
                                  "--client-id", "x", "--map", "g=curator"])
        assert bad.exit_code != 0 and "割り当てられない役割" in bad.output
        for args, message in ((["--tenant", "999999", "--issuer", "https://x.jp", "--client-id", "c"], "999999"),
                              (["--tenant", KOTO], "--issuer and --client-id"),
                              (["--tenant", KOTO, "--issuer", "https://x.jp", "--client-id", "c",
                                "--client-secret-env", "YK_UNSET_VARIABLE"], "YK_UNSET_VARIABLE")):
            failed = runner.invoke(args=["sso", "set", *args])
            assert failed.exit_code != 0 and message in failed.output and "Traceback" not in failed.output
        partial = runner.invoke(args=["sso", "set", "--tenant", "130001", "--disable"])
        assert partial.exit_code == 0 and "disabled" in runner.invoke(args=["sso", "show"]).output
        new_key = Fernet.generate_key().decode()
        rekey_app = create_app({**BASE_CONFIG, **urls, "SSO_SECRET_KEY": f"{new_key},{key}"})
        result = rekey_app.test_cli_runner().invoke(args=["sso", "rekey"])
        assert result.exit_code == 0 and "1 client secret" in result.output
        only_new = create_app({**BASE_CONFIG, **urls, "SSO_SECRET_KEY": new_key})
        with only_new.app_context():
            from kernel.db_admin import owner_session
            from tenants.sso.crypto import decrypt_secret
            from tenants.sso.services import get_provider

            with owner_session():
                bind_tenant("130001")
                provider = get_provider("130001")
                assert provider is not None and decrypt_secret(provider.client_secret_enc) == "cli-secret"
                actions = list(db.session.scalars(text(
                    "SELECT action FROM audit_log WHERE tenant_id = '130001' AND action LIKE 'sso.%' ORDER BY id")))
                assert actions == ["sso.settings", "sso.settings", "sso.rekey"]
        for application in (cli_app, rekey_app, only_new):
            with application.app_context():
                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()
    finally:
        cluster.drop("ssocli")


def test_rate_limits_per_ip_and_per_tenant(cluster) -> None:  # type: ignore[no-untyped-def]
    """Flask-Limiter on the login endpoints (memory storage here; Redis when REDIS_URL is set)."""
    from kernel.extensions import limiter
    from portal.app import create_app

    urls = cluster.urls("unit")
    limited = create_app({**BASE_CONFIG, **urls, "RATELIMIT_ENABLED": True,
                          "SSO_RATELIMIT_PER_IP": "3/minute", "SSO_RATELIMIT_PER_TENANT": "5/minute"})
    try:
        client = limited.test_client()
        # Malformed codes answer 404 before touching the database, so nothing is written here.
        statuses = [client.get("/login/12345x").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        page = client.get("/login/12345x/callback")
        assert page.status_code == 429 and "しばらく" in page.get_data(as_text=True)
        # Per tenant: five more from fresh addresses pass the per-IP limit but not the tenant's.
        statuses = [limited.test_client().get("/login/12345y", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
                    .status_code for i in range(1, 8)]
        assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
        other = limited.test_client().get("/login/12345z", environ_base={"REMOTE_ADDR": "10.0.1.1"})
        assert other.status_code == 404  # another tenant is not affected
    finally:
        limiter.enabled = False
        with limited.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


def test_settings_link_on_the_admin_index(login_as) -> None:  # type: ignore[no-untyped-def]
    page = login_as("tenant_admin").get("/admin/").get_data(as_text=True)
    assert re.search(r'href="/admin/sso">シングルサインオン', page)




def test_any_input_to_the_settings_form_is_saved_or_refused_never_500(app, login_as) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = login_as("tenant_admin")
    text_ = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(field=st.sampled_from(sorted(FORM)), value=text_)
    def post(field: str, value: str) -> None:
        response = client.post("/admin/sso", data={**FORM, field: value})
        assert response.status_code in (302, 400), (field, value, response.status_code)

    post()
    for field, value in (("issuer", "https://idp.example.jp/\x00"), ("role_mapping", "a\x00b = member"),
                         ("client_id", "x\x00"), ("allowed_domains", "\x00")):
        assert client.post("/admin/sso", data={**FORM, field: value}).status_code == 400


def test_connection_check(app, login_as, idp_a) -> None:  # type: ignore[no-untyped-def]
    from tests.sso.conftest import configure

    client = login_as("tenant_admin")
    response = client.post("/admin/sso/check", follow_redirects=True)
    assert "先に設定を保存してください" in response.get_data(as_text=True)
    configure(app, OME, idp_a.url)
    page = client.post("/admin/sso/check", follow_redirects=True).get_data(as_text=True)
    assert "issuer が一致" in page and "IdP でのログアウトに対応" in page
    configure(app, OME, idp_a.url + "/")
    page = client.post("/admin/sso/check", follow_redirects=True).get_data(as_text=True)
    # One generic sentence for every failure (tests/sso/test_outbound.py); the cause is in the log.
    assert "確認に失敗しました" in page and "異なる発行者" not in page


def test_internal_issuer_refused_unless_allow_listed(app, login_as, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """localhost is refused as an issuer once loopback is not allowed (production's default); the
    operators' allow-list for a closed network (LGWAN) lets an internal provider be saved."""
    client = login_as("tenant_admin")
    monkeypatch.setitem(app.config, "SSO_OUTBOUND_ALLOW", "")
    for issuer in ("https://localhost:5432/", "https://10.20.0.5/realms/ome"):
        response = client.post("/admin/sso", data={**FORM, "issuer": issuer})
        assert response.status_code == 400 and "内部ネットワーク" in response.get_data(as_text=True), issuer
    assert _provider(app) is None
    monkeypatch.setitem(app.config, "SSO_OUTBOUND_ALLOW", "10.20.0.0/16")
    assert client.post("/admin/sso", data={**FORM, "issuer": "https://10.20.0.5/realms/ome"}).status_code == 302
    assert _provider(app)["issuer"] == "https://10.20.0.5/realms/ome"


def test_changed_issuer_requires_a_new_secret(app, login_as) -> None:  # type: ignore[no-untyped-def]
    """The stored secret never follows the settings to another provider."""
    client = login_as("tenant_admin")
    assert client.post("/admin/sso", data=FORM).status_code == 302
    saved = _provider(app)
    response = client.post("/admin/sso", data={**FORM, "client_secret": "", "issuer": "https://idp.attacker.example/"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "発行者（issuer）が変更されたため" in body and 'id="client_secret-error"' in body
    assert _provider(app) == saved  # nothing written: the secret stays with its own issuer
    response = client.post("/admin/sso", data={**FORM, "client_secret": "new-idp-secret",
                                               "issuer": "https://idp.example.jp/"})
    assert response.status_code == 302
    changed = _provider(app)
    assert changed["issuer"] == "https://idp.example.jp/"
    assert changed["client_secret_enc"] != saved["client_secret_enc"]
    with app.app_context():
        from tenants.sso.crypto import decrypt_secret

        assert decrypt_secret(changed["client_secret_enc"]) == "new-idp-secret"
    # A public client: changing the issuer and removing the secret is allowed too.
    response = client.post("/admin/sso", data={**FORM, "client_secret": "", "clear_secret": "y",
                                               "issuer": "https://idp2.example.jp/"})
    assert response.status_code == 302 and _provider(app)["client_secret_enc"] == ""
