"""The portal through PgBouncer in transaction pooling mode (issue 25.1).

Here with a PgBouncer of its own; `make test` also runs the isolation tests with every application
connection going through one (YOKOTEN_PGBOUNCER=1, tests/dbsetup.py)."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from kernel.extensions import db
from portal.app import create_app
from portal.backup import libpq
from tests.conftest import BASE_CONFIG, login
from tests.ops.pgbouncer import PGBOUNCER, PgBouncer

pytestmark = [pytest.mark.no_rollback,
              pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="bootstrap.sh --browser installs pgbouncer")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bouncer(cluster, app) -> Iterator[PgBouncer]:  # type: ignore[no-untyped-def]  # app: the unit database
    """A PgBouncer with the unit database twice: normally, and as ``shared`` over ONE server connection."""
    admin = urlsplit(cluster.admin_url).username or "postgres"
    server = PgBouncer(cluster.admin_url, [cluster.app_role, cluster.owner, admin],
                       aliases={"shared": (cluster.db("unit"), 1)}).start()
    yield server
    server.stop()


def _direct_app_url(cluster) -> str:  # type: ignore[no-untyped-def]
    from kernel.db_admin import with_user_and_db

    return libpq(with_user_and_db(cluster.admin_url, cluster.app_role, cluster.db("unit")))


def test_no_tenant_binding_survives_a_shared_server_connection(cluster, bouncer) -> None:  # type: ignore[no-untyped-def]
    url = bouncer.url(_direct_app_url(cluster), "shared")
    first, second = psycopg2.connect(url), psycopg2.connect(url)
    try:
        with first.cursor() as cur:  # one "request" of 青梅市, as tenants/context.py binds it
            cur.execute("SELECT set_config('app.tenant_id', '132055', true), pg_backend_pid()")
            backend = cur.fetchone()[1]
            cur.execute("SELECT count(*), count(DISTINCT tenant_id) FROM users")
            assert cur.fetchone()[0] > 0
        first.commit()
        with second.cursor() as cur:  # another client's transaction on the very same server connection
            cur.execute("SELECT pg_backend_pid(), current_setting('app.tenant_id', true)")
            assert cur.fetchone() in ((backend, ""), (backend, None))
            cur.execute("SELECT count(*) FROM users")
            assert cur.fetchone()[0] == 0
        second.commit()
        # What the design avoids: a session-level setting WOULD cross over to the next client.
        with first.cursor() as cur:
            cur.execute("SELECT set_config('app.tenant_id', '132055', false)")
        first.commit()
        with second.cursor() as cur:
            cur.execute("SELECT current_setting('app.tenant_id', true)")
            assert cur.fetchone()[0] == "132055"
            cur.execute("SELECT set_config('app.tenant_id', '', false)")  # clean the shared connection again
        second.commit()
    finally:
        first.close()
        second.close()


def test_the_code_binds_tenants_transaction_locally_only() -> None:
    """No session-level SET of the app.* settings anywhere in the runtime code (PgBouncer would leak it)."""
    offenders = []
    for package in ("portal", "kernel", "tenants", "casebook", "procurement", "awards", "workload"):
        for path in (ROOT / package).rglob("*.py") if (ROOT / package).exists() else []:
            source = path.read_text(encoding="utf-8")
            # A psycopg2 placeholder (``%(name)s``) holds a parenthesis of its own: matched as one unit.
            for match in re.finditer(r"set_config\(\s*'app\.[a-z_]+'(?:%\(\w+\)s|[^)])*\)", source):
                if not re.search(r",\s*true\s*\)$", match.group(0), re.IGNORECASE):
                    offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
            offenders += [f"{path.relative_to(ROOT)}: SET app." for _ in re.finditer(r"\bSET\s+app\.", source)]
    assert not offenders, offenders


def test_the_portal_runs_through_pgbouncer_unchanged(cluster, bouncer) -> None:  # type: ignore[no-untyped-def]
    urls = cluster.urls("unit")
    through = bouncer.url(_direct_app_url(cluster))
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": through,
                      "DATABASE_OWNER_URL": urls["DATABASE_OWNER_URL"],
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "max_overflow": 0}})
    try:
        client, other = app.test_client(), app.test_client()
        assert client.get("/readyz").json["status"] == "ok"  # the role check too, through PgBouncer
        login(client, "member")  # writes the server-side session
        login(other, "other_member")
        for _ in range(3):  # interleaved requests of two municipalities over two pooled connections
            mine, theirs = client.get("/cases"), other.get("/cases")
            assert mine.status_code == 200 and theirs.status_code == 200
            assert "青梅市" in mine.get_data(as_text=True) and "江東区" in theirs.get_data(as_text=True)
        pools = [row for row in bouncer.show("POOLS") if row[0] == cluster.db("unit") and row[1] == cluster.app_role]
        assert pools and pools[0][-1] == "transaction"
    finally:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


def test_in_pgbouncer_mode_the_suite_really_goes_through_it(cluster) -> None:  # type: ignore[no-untyped-def]
    if cluster.bouncer is None:
        pytest.skip("only with YOKOTEN_PGBOUNCER=1 (make test runs the isolation tests that way)")
    port = urlsplit(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]).port
    assert port == cluster.bouncer.port
    assert any(row[1] == cluster.app_role for row in cluster.bouncer.show("POOLS"))


def test_pgbouncer_is_debians(bouncer) -> None:  # type: ignore[no-untyped-def]
    assert shutil.which("pgbouncer") and PGBOUNCER.startswith("/usr/")
