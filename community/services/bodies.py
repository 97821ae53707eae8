"""Standing bodies and their member municipalities (TMG's secretariat only)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from community import access
from community.models import BODY_KINDS, MEMBER_ROLES, Body, BodyMember
from community.services.common import clean, denied
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from tenants.models import Tenant, is_tenant_code


def create_body(actor: Any, name: str, kind: str, description: str) -> Body:
    """Create a standing body (CIO forum, roundtable, working group)."""
    if not access.is_organiser(actor):
        raise denied()
    name = clean(name, 200, "name")
    if kind not in BODY_KINDS:
        raise ServiceError(_("Choose the kind of body."), "kind")
    if db.session.scalar(select(Body.id).where(Body.name == name)) is not None:
        raise ServiceError(_("A body with this name already exists."), "name")
    body = Body(name=name, kind=kind, description=clean(description, 4000, "description", required=False))
    db.session.add(body)
    db.session.flush()
    audit.record("community.body.create", "community_body", body.id, after={"name": name, "kind": kind})
    return body


def update_body(actor: Any, body: Body, name: str, kind: str, description: str) -> None:
    """Rename or describe a body."""
    if not access.is_organiser(actor):
        raise denied()
    name = clean(name, 200, "name")
    if kind not in BODY_KINDS:
        raise ServiceError(_("Choose the kind of body."), "kind")
    clash = db.session.scalar(select(Body.id).where(Body.name == name, Body.id != body.id))
    if clash is not None:
        raise ServiceError(_("A body with this name already exists."), "name")
    before = {"name": body.name, "kind": body.kind}
    body.name, body.kind = name, kind
    body.description = clean(description, 4000, "description", required=False)
    db.session.flush()
    audit.record("community.body.update", "community_body", body.id, before=before, after={"name": name, "kind": kind})


def set_member(actor: Any, body: Body, tenant_code: str, role: str, representative: str) -> BodyMember:
    """Give a municipality a seat with a role (or change its role); the same call again changes nothing."""
    if not access.is_organiser(actor):
        raise denied()
    if not is_tenant_code(tenant_code) or db.session.get(Tenant, tenant_code) is None:
        raise ServiceError(_("Choose a municipality."), "tenant")
    if role not in MEMBER_ROLES:
        raise ServiceError(_("Choose a role."), "role")
    representative = clean(representative, 200, "representative", required=False)
    member = next((m for m in body.members if m.member_tenant == tenant_code), None)
    if member is None:
        member = BodyMember(body_id=body.id, member_tenant=tenant_code, role=role, representative=representative)
        body.members.append(member)
        db.session.flush()
        audit.record("community.member.add", "community_body", body.id,
                     after={"tenant": tenant_code, "role": role, "representative": representative})
    elif (member.role, member.representative) != (role, representative):
        before = {"tenant": tenant_code, "role": member.role, "representative": member.representative}
        member.role, member.representative = role, representative
        db.session.flush()
        audit.record("community.member.update", "community_body", body.id, before=before,
                     after={"tenant": tenant_code, "role": role, "representative": representative})
    return member


def remove_member(actor: Any, body: Body, tenant_code: str) -> None:
    """Take a municipality's seat away (its past registrations and actions stay)."""
    if not access.is_organiser(actor):
        raise denied()
    member = next((m for m in body.members if m.member_tenant == tenant_code), None)
    if member is None:
        raise ServiceError(_("This municipality is not a member."))
    body.members.remove(member)
    db.session.flush()
    audit.record("community.member.remove", "community_body", body.id, before={"tenant": tenant_code,
                                                                                 "role": member.role})
