"""The portal refuses to serve as a role that could bypass row-level security (issue 24.3)."""
from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest

from kernel.config import ConfigError
from kernel.db_admin import with_user_and_db
from portal.app import create_app
from portal.backup import libpq
from portal.role_check import check_database_role
from tests.conftest import BASE_CONFIG
from tests.ops.conftest import ROOT, free_port

pytestmark = pytest.mark.no_rollback


@pytest.fixture(scope="module")
def role_db(cluster):  # type: ignore[no-untyped-def]
    kind = "rolechk"
    urls = cluster.create_from_template(kind)
    yield {**urls, "db": cluster.db(kind)}
    cluster.drop(kind)


def _url_as(cluster, role_db, role: str) -> str:  # type: ignore[no-untyped-def]
    return with_user_and_db(cluster.admin_url, role, role_db["db"])


def test_the_application_role_is_safe(role_db) -> None:  # type: ignore[no-untyped-def]
    assert check_database_role(role_db["SQLALCHEMY_DATABASE_URI"]) == []


def test_owner_superuser_and_backup_role_are_refused(cluster, role_db, backup_role) -> None:  # type: ignore[no-untyped-def]
    owner = check_database_role(role_db["DATABASE_OWNER_URL"])
    assert any("owns tables" in reason and "public." in reason for reason in owner)
    assert any("CREATEROLE" in reason for reason in owner)
    superuser = check_database_role(cluster.admin_url)
    assert any("superuser" in reason for reason in superuser)
    backup = check_database_role(_url_as(cluster, role_db, backup_role))
    assert backup == [f"role {backup_role} has BYPASSRLS (it sees every municipality's rows)"]


def test_a_member_of_the_owner_role_is_refused(cluster, role_db) -> None:  # type: ignore[no-untyped-def]
    """Ownership inherited through role membership counts as ownership."""
    role = f"yk_member_{cluster.suffix}"
    with psycopg2.connect(libpq(cluster.admin_url)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute(f'CREATE ROLE "{role}" LOGIN')
        cur.execute(f'GRANT "{cluster.owner}" TO "{role}"')
    try:
        reasons = check_database_role(_url_as(cluster, role_db, role))
        assert any(reason.startswith(f"role {role} owns tables") for reason in reasons)
    finally:
        with psycopg2.connect(libpq(cluster.admin_url)) as conn, conn.cursor() as cur:
            conn.autocommit = True
            cur.execute(f'DROP ROLE "{role}"')


def test_app_as_owner_answers_503_and_readyz_names_the_reason(role_db) -> None:  # type: ignore[no-untyped-def]
    unsafe = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": role_db["DATABASE_OWNER_URL"],
                         "DATABASE_OWNER_URL": role_db["DATABASE_OWNER_URL"]})
    client = unsafe.test_client()
    assert client.get("/healthz").status_code == 200  # the process is alive, only not serving
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["status"] == "unsafe_role"
    assert any("owns tables" in reason for reason in ready.json["reasons"])
    page = client.get("/login")
    assert page.status_code == 503 and b"database role is unsafe" in page.data
    # the refusal holds for every later request too (the check does not flip back)
    assert client.get("/casebook/").status_code == 503


def test_app_as_application_role_serves(role_db) -> None:  # type: ignore[no-untyped-def]
    safe = create_app({**BASE_CONFIG, **{k: role_db[k] for k in ("SQLALCHEMY_DATABASE_URI", "DATABASE_OWNER_URL")}})
    client = safe.test_client()
    assert client.get("/readyz").status_code == 200
    assert safe.extensions["yokoten_role_check"].passed


def test_gunicorn_refuses_to_start_as_the_owner(role_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    owner = role_db["DATABASE_OWNER_URL"]
    env = {**os.environ, "DATABASE_URL": owner, "DATABASE_OWNER_URL": owner,
           "SECRET_KEY": "s" * 40, "PORTAL_ENV": "development", "PORT": str(free_port()), "HOST": "127.0.0.1",
           "WEB_CONCURRENCY": "1"}
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Refusing to serve" in output and "owns tables" in output
    assert "Booting worker" not in output  # refused in the master, before any worker was forked


def test_cli_check_role(role_db) -> None:  # type: ignore[no-untyped-def]
    for url, code, text in ((role_db["SQLALCHEMY_DATABASE_URI"], 0, "is safe"),
                            (role_db["DATABASE_OWNER_URL"], 1, "owns tables")):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "DATABASE_OWNER_URL": url})
        out = app.test_cli_runner().invoke(args=["ops", "check-role"])
        assert out.exit_code == code and text in out.output, out.output


def test_production_refuses_to_start_without_a_usable_sso_secret_key(role_db) -> None:  # type: ignore[no-untyped-def]
    settings = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": role_db["SQLALCHEMY_DATABASE_URI"],
                "PORTAL_ENV": "production", "SECRET_KEY": "p" * 40, "DEV_LOGIN_ENABLED": False}
    with pytest.raises(ConfigError, match="SSO_SECRET_KEY must be set in production"):
        create_app({**settings, "SSO_SECRET_KEY": ""})
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        create_app({**settings, "SSO_SECRET_KEY": f"{BASE_CONFIG['SSO_SECRET_KEY']},not-a-key"})
    started = create_app({**settings, "SSO_SECRET_KEY": BASE_CONFIG["SSO_SECRET_KEY"]})
    assert started.config["PORTAL_ENV"] == "production"
