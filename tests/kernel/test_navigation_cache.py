"""The main navigation is built once per tenant, roles, page and language (issue 25.5), never shared
across them: each person still sees exactly their own entries, in their language, the current page marked."""
from __future__ import annotations

import re

from tests.conftest import login


def _nav(html: str) -> list[tuple[str, bool]]:
    block = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return [(label, bool(current)) for current, label in
            re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', block)]


def test_the_navigation_follows_roles_page_and_language(app) -> None:  # type: ignore[no-untyped-def]
    member, curator, admin = app.test_client(), app.test_client(), app.test_client()
    login(member, "member")
    login(curator, "curator")
    login(admin, "tenant_admin")  # the member's own municipality, other roles
    for _ in range(2):  # the second round is served from the cache: the same answers
        home = _nav(member.get("/").get_data(as_text=True))
        assert ("ホーム", True) in home
        assert not [label for label, _current in home if label in ("審査キュー", "管理")]
        assert any(label == "管理" for label, _current in _nav(admin.get("/").get_data(as_text=True)))
        assert any(label == "審査キュー" for label, _current in _nav(curator.get("/").get_data(as_text=True)))
        # Another page of the same person marks another entry.
        cases = _nav(member.get("/cases").get_data(as_text=True))
        assert ("ホーム", False) in cases
    curator_labels = {label for label, _current in _nav(curator.get("/").get_data(as_text=True))}
    member_labels = {label for label, _current in _nav(member.get("/").get_data(as_text=True))}
    assert curator_labels != member_labels  # roles differ, so do the entries
    member.post("/lang", data={"lang": "en", "next": "/"})
    assert ("Home", True) in _nav(member.get("/").get_data(as_text=True))
