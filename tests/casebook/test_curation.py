"""Member proposes → tenant admin signs off → curators' queue → publish / request changes / retire."""
from __future__ import annotations

import re

from tests.casebook.test_cases import FORM, _create
from tests.conftest import login


def _submission_id(client) -> int:  # type: ignore[no-untyped-def]
    queue = client.get("/curation").get_data(as_text=True)
    return int(re.findall(r"/curation/(\d+)\"", queue)[-1])


def test_release_flow_publish_and_private_edits_do_not_leak(app, login_as) -> None:  # type: ignore[no-untyped-def]
    member = app.test_client()
    login(member, "other_member")  # 江東区
    case_id = _create(member, title="江東区のキャッシュレス窓口", contact="dx@koto.example.jp 03-1234-5678")
    assert member.post(f"/cases/{case_id}/approve").status_code == 403  # a member cannot sign off
    assert member.post(f"/cases/{case_id}/propose").status_code == 302
    assert "承認待ち" in member.get(f"/cases/{case_id}").get_data(as_text=True)

    admin = app.test_client()
    login(admin, "other_admin")
    assert admin.post(f"/cases/{case_id}/approve", data={"confirm": "yes"}).status_code == 302
    assert "都の審査待ち" in admin.get(f"/cases/{case_id}").get_data(as_text=True)

    curator = app.test_client()
    login(curator, "curator")
    submission_id = _submission_id(curator)
    review = curator.get(f"/curation/{submission_id}").get_data(as_text=True)
    assert "江東区のキャッシュレス窓口" in review
    assert "dx@koto.example.jp" in review and "03-1234-5678" in review and 'data-testid="pii"' in review
    # The curator removes the contact in the shared copy, then publishes.
    edited = curator.post(f"/curation/{submission_id}", data={**FORM, "title": "江東区のキャッシュレス窓口",
                                                              "contact": "江東区 DX推進課"})
    assert edited.status_code == 302
    published = curator.post(f"/curation/{submission_id}/publish", data={"confirm": "yes"})
    assert published.status_code == 302
    entry_id = int(published.headers["Location"].rsplit("/", 1)[-1])

    reader = app.test_client()
    login(reader, "member")  # 青梅市
    page = reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    assert "江東区のキャッシュレス窓口" in page and "DX推進課" in page and "dx@koto.example.jp" not in page

    # A later private edit does not reach the casebook; the municipality sees the difference.
    assert member.post(f"/cases/{case_id}/edit", data={**FORM, "title": "江東区のキャッシュレス窓口",
                                                       "summary": "まだ内部の話", "version": "1"}).status_code == 302
    assert "まだ内部の話" not in reader.get(f"/casebook/{entry_id}").get_data(as_text=True)
    diff = member.get(f"/cases/{case_id}/shared-diff").get_data(as_text=True)
    assert "<ins>+ まだ内部の話</ins>" in diff

    # Retire: gone from the casebook for readers, still visible to curators.
    assert curator.post(f"/casebook/{entry_id}/retire", data={"retire": "1", "confirm": "yes"}).status_code == 302
    assert reader.get(f"/casebook/{entry_id}").status_code == 404
    assert "江東区のキャッシュレス窓口" not in reader.get("/casebook?q=キャッシュレス").get_data(as_text=True)
    assert curator.get(f"/casebook/{entry_id}").status_code == 200


def test_request_changes_reaches_the_municipality(app, login_as) -> None:  # type: ignore[no-untyped-def]
    member = app.test_client()
    login(member, "member")
    case_id = _create(member, title="差し戻しテスト")
    member.post(f"/cases/{case_id}/propose")
    admin = app.test_client()
    login(admin, "tenant_admin")
    admin.post(f"/cases/{case_id}/approve", data={"confirm": "yes"})
    curator = app.test_client()
    login(curator, "curator")
    submission_id = _submission_id(curator)
    empty = curator.post(f"/curation/{submission_id}/request-changes", data={"comment": "  "})
    assert empty.status_code == 400 and "コメントを入力してください" in empty.get_data(as_text=True)
    assert curator.post(f"/curation/{submission_id}/request-changes",
                        data={"comment": "効果の数値を追記してください"}).status_code == 302
    page = member.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "修正依頼あり" in page and "効果の数値を追記してください" in page
    # Resubmission goes through the admin again.
    assert member.post(f"/cases/{case_id}/propose").status_code == 302
    assert admin.post(f"/cases/{case_id}/approve", data={"confirm": "yes"}).status_code == 302
    assert "都の審査待ち" in member.get(f"/cases/{case_id}").get_data(as_text=True)


def test_other_municipalities_and_curators_never_see_private_cases(app) -> None:  # type: ignore[no-untyped-def]
    member = app.test_client()
    login(member, "member")
    case_id = _create(member, title="非公開の事例")
    curator = app.test_client()
    login(curator, "curator")
    assert curator.get(f"/cases/{case_id}").status_code == 403
    assert "非公開の事例" not in curator.get("/curation").get_data(as_text=True)
    other = app.test_client()
    login(other, "other_admin")
    assert other.get(f"/cases/{case_id}").status_code == 404
    assert other.post(f"/cases/{case_id}/approve").status_code == 404
    assert "非公開の事例" not in other.get("/casebook?q=非公開").get_data(as_text=True)
