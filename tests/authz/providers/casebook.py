"""Objects of the casebook for the authorization matrix.

own = 青梅市 (home of member and tenant_admin), other = 江東区, shared = a cross-tenant object
(a published entry from 江東区, a queued submission, a synonym group).
"""
from __future__ import annotations

from sqlalchemy import select

from casebook import community, curation, services
from casebook.models import Case, Entry
from casebook.validation import empty_content
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import User
from tests.authz.providers import provides
from tests.conftest import OTHER_TENANT, OWN_TENANT

EMAILS = {OWN_TENANT: "member@ome.example.jp", OTHER_TENANT: "member@koto.example.jp"}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _tenant(owner: str) -> str:
    return {"own": OWN_TENANT, "other": OTHER_TENANT, "shared": OTHER_TENANT}[owner]


def _user(tenant: str) -> User:
    bind_tenant(tenant)
    user = db.session.scalar(select(User).where(User.tenant_id == tenant, User.email == EMAILS[tenant]))
    assert user is not None
    bind_tenant(tenant, user.id)
    return user


def _case(owner: str, **fields: object) -> Case:
    tenant = _tenant(owner)
    user = _user(tenant)
    content = {**empty_content(), "title": f"行列テスト {owner}", "summary": "概要", **fields}
    return services.create_case(tenant, user.id, content)


@provides("case")
def case(owner: str) -> str:
    return str(_case(owner).id)


@provides("proposed_case")
def proposed_case(owner: str) -> str:
    c = _case(owner)
    services.propose_case(c, c.created_by or 0)
    return str(c.id)


@provides("published_case")
def published_case(owner: str) -> str:
    c = _case(owner)
    c.release_state = "approved"
    curation.publish(services.queue_submission(c, approved_by=None), None)
    return str(c.id)


@provides("attachment")
def attachment(owner: str) -> str:
    c = _case(owner)
    row = services.add_attachment(c, c.created_by or 0, "図.png", PNG)
    return f"{c.id}/attachments/{row.id}"


def _entry(owner: str) -> Entry:
    c = _case(owner)
    c.release_state = "approved"
    return curation.publish(services.queue_submission(c, approved_by=None), None)


@provides("entry")
def entry(owner: str) -> str:
    e = _entry(owner)
    bind_tenant(None)
    return str(e.id)


@provides("adopted_entry")
def adopted_entry(owner: str) -> str:
    e = _entry(owner)  # from 江東区, adopted by 青梅市
    community.adopt(e, _user(OWN_TENANT))
    return str(e.id)


@provides("question")
def question(owner: str) -> str:
    """own: a question (from 江東区) on 青梅市's entry; other: on 江東区's entry (from 青梅市)."""
    e = _entry(owner)
    asker = _user(OTHER_TENANT if owner == "own" else OWN_TENANT)
    return str(community.ask(e, asker, "運用体制を教えてください。").id)


@provides("submission")
def submission(owner: str) -> str:
    c = _case(owner)
    c.release_state = "approved"
    return str(services.queue_submission(c, approved_by=None).id)


@provides("synonym")
def synonym(owner: str) -> str:
    bind_tenant("130001")
    return str(curation.add_synonyms(0, "申請、届出").id)
