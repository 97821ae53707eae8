"""Cases for tests, made through the casebook's services as their author."""
from __future__ import annotations

from typing import Any

from casebook.services import create_case
from casebook.validation import empty_content
from kernel.extensions import db
from tests.factories.tenants import user_of


def content(**fields: Any) -> dict[str, Any]:
    """Valid case content: a title and a summary, plus ``fields``."""
    data = empty_content()
    data.update({"title": "テスト事例", "summary": "概要です。"})
    data.update(fields)
    return data


def make_case(tenant: str, email: str, **fields: Any) -> Any:
    """A case of ``tenant`` written by the user ``email`` (bound as that user afterwards)."""
    author = user_of(tenant, email)
    case = create_case(tenant, author.id, content(**fields))
    db.session.flush()
    return case
