"""Every role's navigation reaches every page it uses (issue 17 point 6).

For each role the test walks the portal from the home page by its links only (as a person clicking, one
page per kind of page) and then takes the pages the authorization matrix lets the role open: every start
page (a GET route without an object in its path, answered 200) must have been reached by links.
"""
from __future__ import annotations

import re
from collections import deque

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.authz.matrix import load_rows
from tests.conftest import login

ROLES = ("member", "tenant_admin", "curator", "judge", "operator", "supporter")
HREF = re.compile(r'href="(/[^"#]*)')
# Pages nobody opens by a link: machine endpoints (health, metrics, the portal's public keys, the idle
# warning's status), the login page; and the identity-provider change, offered on the SSO settings page
# only once the municipality has a provider (青梅市 has none in the demo data).
NOT_NAVIGATED = {"portal.healthz", "portal.readyz", "portal.metrics", "metrics.metrics", "portal.login",
                 "devmail.index", "sso.jwks", "drafts.session_status", "sso.change", "sso.relink"}
SKIP_PREFIXES = ("/api/", "/static/", "/logout", "/dev/", "/login")


def _start_pages(role: str) -> set[str]:
    return {row.endpoint for row in load_rows()
            if row.method == "GET" and "{" not in row.path and row.expect[role] == 200
            and not row.endpoint.startswith(("api", "casebook_api", "procurement_api", "awards_api"))
            and "_api" not in row.endpoint and row.endpoint not in NOT_NAVIGATED}


@pytest.mark.parametrize("role", ROLES)
def test_navigation_reaches_every_start_page(app, client, role: str) -> None:  # type: ignore[no-untyped-def]
    login(client, role)
    adapter = app.url_map.bind("localhost")
    reached: set[str] = set()
    queue: deque[str] = deque(["/"])
    while queue and len(reached) < 400:
        url = queue.popleft()
        try:
            endpoint, _args = adapter.match(url.split("?")[0], method="GET")
        except (HTTPException, RequestRedirect):
            continue
        if endpoint in reached:
            continue  # one page of each kind is enough to see where it leads
        reached.add(endpoint)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            if not href.startswith(SKIP_PREFIXES):
                queue.append(href.replace("&amp;", "&"))
    missing = sorted(_start_pages(role) - reached)
    assert not missing, f"pages a {role} may open that no link leads to: {missing}"
