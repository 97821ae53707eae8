"""Each casebook step tells the person it now waits on, and "waiting for you" counts and links to it."""
from __future__ import annotations

import re

from tests.casebook.test_cases import FORM
from tests.conftest import login


def _unread_texts(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/notifications?show=unread").get_data(as_text=True)


def test_case_release_workflow_tells_each_next_person(app, mail_sink) -> None:  # type: ignore[no-untyped-def]
    member, admin, curator = app.test_client(), app.test_client(), app.test_client()
    login(member, "member")
    login(admin, "tenant_admin")
    login(curator, "curator")
    created = member.post("/cases/new", data={**FORM, "title": "通知テストの事例"})
    case_id = int(created.location.rsplit("/", 1)[1])
    proposed = member.post(f"/cases/{case_id}/propose")
    assert proposed.status_code == 302
    proposed.close()
    mails = mail_sink.wait_for(1)
    assert [m.to for m in mails] == ["admin@ome.example.jp"]
    assert "「通知テストの事例」が事例集への提出の承認を待っています" in mails[0].subject

    home = admin.get("/").get_data(as_text=True)
    item = re.search(r'data-testid="waiting-casebook.approvals">\s*<a href="([^"]+)">'
                     r'<span class="waiting__count">(\d+)', home)
    assert item and item.group(1) == "/cases?state=proposed"
    listed = admin.get(item.group(1)).get_data(as_text=True)
    assert "通知テストの事例" in listed and f"{int(item.group(2))}件" in listed
    assert "通知テストの事例" in _unread_texts(admin)
    assert "通知テストの事例" not in _unread_texts(member)  # the member took the step: not told of it
    assert "通知テストの事例" not in _unread_texts(login(app.test_client(), "other_admin"))

    assert admin.post(f"/cases/{case_id}/approve", data={"confirm": "yes"}).status_code == 302
    assert "「通知テストの事例」が承認され、キュレーターに提出されました" in _unread_texts(member)
    assert "青梅市から「通知テストの事例」が事例集に提出されました" in _unread_texts(curator)
    queue = re.search(r'data-testid="waiting-casebook.review">\s*<a href="([^"]+)"',
                      curator.get("/").get_data(as_text=True))
    assert queue and queue.group(1) == "/curation"
    submission_id = int(re.search(r'href="/curation/(\d+)"[^>]*>通知テストの事例',  # type: ignore[union-attr]
                                  curator.get("/curation").get_data(as_text=True)).group(1))

    assert curator.post(f"/curation/{submission_id}/request-changes", data={"comment": "費用を追記してください"}
                        ).status_code == 302
    assert "「通知テストの事例」についてキュレーターから修正依頼が届きました" in _unread_texts(member)
    changes = re.search(r'data-testid="waiting-casebook.changes_requested">\s*<a href="([^"]+)"',
                        member.get("/").get_data(as_text=True))
    assert changes and changes.group(1) == "/cases?state=changes_requested"
    assert "通知テストの事例" in member.get(changes.group(1)).get_data(as_text=True)
    # The curators' comment is never put into a notification or a mail (it stays on the case page).
    assert all("費用を追記" not in m.body for m in mail_sink.mails)


def test_home_says_when_nothing_waits(app) -> None:  # type: ignore[no-untyped-def]
    judge = app.test_client()
    login(judge, "judge")
    assert "対応待ちのものはありません" in judge.get("/").get_data(as_text=True)
