"""Service errors of the casebook speak the person's language: Japanese by default, English when chosen."""
from __future__ import annotations

import io

import pytest

from casebook.services import add_attachment
from kernel.errors import ServiceError
from tests.casebook.test_cases import _create
from tests.factories.casebook import make_case


def _attach_empty_file(client, case_id: int) -> str:  # type: ignore[no-untyped-def]
    response = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(b""), "empty.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    return str(response.get_data(as_text=True))


def test_service_error_is_japanese_by_default_and_english_when_chosen(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as("member")
    case_id = _create(client)
    japanese = _attach_empty_file(client, case_id)
    assert "空のファイルは添付できません。" in japanese
    assert "An empty file cannot be attached." not in japanese

    assert client.post("/lang", data={"lang": "en", "next": "/"}).status_code == 302
    english = _attach_empty_file(client, case_id)
    assert "An empty file cannot be attached." in english
    assert "空のファイルは添付できません。" not in english


def test_service_error_outside_a_request_is_japanese(ome_member) -> None:  # type: ignore[no-untyped-def]
    case = make_case("132055", "member@ome.example.jp")
    with pytest.raises(ServiceError) as raised:
        add_attachment(case, ome_member.id, "empty.pdf", b"")
    assert raised.value.message == "空のファイルは添付できません。"
