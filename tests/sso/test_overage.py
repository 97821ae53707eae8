"""Entra ID groups overage resolved through the one host the municipality allows (issue 23, point 5):
the mock provider issues an overage token, a fake Microsoft Graph on loopback answers the groups."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tenants.sso.models import SsoProvider
from tenants.sso.overage import allowed_endpoint
from tests.sso.conftest import OME, Provider, configure, failures, sso_login

ADMINS = "0f2c-admins"
MAPPING = {ADMINS: ["member", "tenant_admin"]}


@dataclass
class FakeGraph:
    """Microsoft Graph's getMemberObjects (POST) and memberOf (GET, two pages) for one user."""

    groups: list[str] = field(default_factory=lambda: ["aaaa-1", ADMINS])
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Authorization)
    fail: bool = False
    port: int = 0

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append((request.method, request.path, request.headers.get("Authorization", "")))
        if self.fail or not request.headers.get("Authorization", "").startswith("Bearer "):
            return Response("{}", status=500 if self.fail else 401)(environ, start_response)
        if request.path.endswith("/getMemberObjects") and request.method == "POST":
            body = {"value": self.groups}
        elif request.path.endswith("/memberOf") and request.args.get("page") != "2":
            body = {"value": [{"id": self.groups[0]}],
                    "@odata.nextLink": f"http://127.0.0.1:{self.port}{request.path}?page=2"}
        elif request.path.endswith("/memberOf"):
            body = {"value": [{"id": g} for g in self.groups[1:]]}
        else:
            return Response("{}", status=404)(environ, start_response)
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def _overage(endpoint: str) -> dict[str, Any]:
    return {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": endpoint}}}


def _roles(app: Flask, subject: str) -> list[str]:
    with app.app_context():
        bind_tenant(OME)
        user = db.session.scalar(select(User).where(User.subject == subject))
        roles = sorted(user.roles) if user else []
        db.session.remove()
    return roles


def test_overage_resolved_at_the_allowed_host(app: Flask, idp_a: Provider, graph: FakeGraph) -> None:
    host = f"127.0.0.1:{graph.port}"
    configure(app, OME, idp_a.url, role_mapping=MAPPING, groups_overage_host=host)
    idp_a.set_user("many-1", email="many1@ome.example.jp",
                   **_overage(f"http://{host}/v1.0/users/oid-1/getMemberObjects"))
    assert sso_login(app.test_client(), OME, "many-1").status_code == 302
    assert _roles(app, "many-1") == ["member", "tenant_admin"]
    method, path, authorization = graph.seen[-1]
    assert (method, path) == ("POST", "/v1.0/users/oid-1/getMemberObjects")
    assert authorization.startswith("Bearer ") and len(authorization) > 20  # the login's access token


def test_member_of_is_read_page_by_page(app: Flask, idp_a: Provider, graph: FakeGraph) -> None:
    host = f"127.0.0.1:{graph.port}"
    graph.groups = [ADMINS, "zzzz-9"]
    configure(app, OME, idp_a.url, role_mapping=MAPPING, groups_overage_host=host)
    idp_a.set_user("many-2", email="many2@ome.example.jp", **_overage(f"http://{host}/v1.0/me/memberOf"))
    assert sso_login(app.test_client(), OME, "many-2").status_code == 302
    assert _roles(app, "many-2") == ["member", "tenant_admin"]
    assert [s[0] for s in graph.seen] == ["GET", "GET"]


def test_a_source_on_another_host_is_never_asked(app: Flask, idp_a: Provider, graph: FakeGraph) -> None:
    configure(app, OME, idp_a.url, role_mapping=MAPPING, groups_overage_host=f"127.0.0.1:{graph.port}")
    # The token names another host (here: loopback under another name): the access token must not go there.
    idp_a.set_user("many-3", email="many3@ome.example.jp",
                   **_overage(f"http://localhost:{graph.port}/v1.0/users/oid-3/getMemberObjects"))
    response = sso_login(app.test_client(), OME, "many-3")
    assert response.status_code == 400 and "グループ超過" in response.get_data(as_text=True)
    assert failures(app, OME)[-1]["reason"] == "groups_overage"
    assert graph.seen == [] and _roles(app, "many-3") == []


def test_a_failing_source_refuses_instead_of_making_a_member(app: Flask, idp_a: Provider, graph: FakeGraph) -> None:
    host = f"127.0.0.1:{graph.port}"
    graph.fail = True
    configure(app, OME, idp_a.url, role_mapping=MAPPING, groups_overage_host=host)
    idp_a.set_user("many-4", email="many4@ome.example.jp",
                   **_overage(f"http://{host}/v1.0/users/oid-4/getMemberObjects"))
    assert sso_login(app.test_client(), OME, "many-4").status_code == 400
    assert failures(app, OME)[-1]["reason"] == "groups_overage"
    assert _roles(app, "many-4") == []


def test_without_the_setting_the_refusal_stays(app: Flask, idp_a: Provider, graph: FakeGraph) -> None:
    configure(app, OME, idp_a.url, role_mapping=MAPPING)
    idp_a.set_user("many-5", email="many5@ome.example.jp",
                   **_overage(f"http://127.0.0.1:{graph.port}/v1.0/users/oid-5/getMemberObjects"))
    assert sso_login(app.test_client(), OME, "many-5").status_code == 400
    assert graph.seen == []


def test_legacy_graph_endpoint_is_translated_to_microsoft_graph_only() -> None:
    legacy = "https://graph.windows.net/tid/users/oid-9/getMemberObjects"
    assert allowed_endpoint(legacy, "graph.microsoft.com") == \
        "https://graph.microsoft.com/v1.0/users/oid-9/getMemberObjects"
    assert allowed_endpoint(legacy, "graph.example.jp") is None
    assert allowed_endpoint("https://graph.microsoft.com.evil.jp/v1.0/me/memberOf", "graph.microsoft.com") is None
    assert allowed_endpoint("https://GRAPH.microsoft.com/v1.0/me/memberOf", "graph.microsoft.com") is not None


@pytest.mark.parametrize("value", ["https://graph.microsoft.com", "graph.microsoft.com/v1.0", "a b", "graph..x/"])
def test_settings_refuse_a_host_that_is_not_a_host(app: Flask, login_as: Any, idp_a: Provider, value: str) -> None:
    configure(app, OME, idp_a.url)
    client = login_as("tenant_admin")  # 青梅市's administrator
    response = client.post("/admin/sso", data={
        "issuer": idp_a.url, "client_id": f"yokoten-{OME}", "scopes": "openid email profile",
        "email_claim": "email", "name_claim": "name", "groups_claim": "groups", "is_enabled": "y",
        "groups_overage_host": value})
    assert response.status_code == 400
    assert "ホスト名だけを入力してください" in response.get_data(as_text=True)
    with app.app_context():
        bind_tenant(OME)
        assert db.session.scalar(select(func.count()).select_from(SsoProvider)
                                 .where(SsoProvider.groups_overage_host != "")) == 0
        db.session.remove()
