"""How the audit log names the community's objects, by the rules of ``community.access``.

The CIO forum's bodies and meetings are shown to every forum user; a follow-up action to the body's members
and the municipality that owns it; a meeting's material to the body's members (the secretariat sees all of
the forum). A municipality's roster (departments, DX推進員) and training plans are its own (RLS); the
secretariat never reads them. Linked where the viewer may open the page; one ``ObjectQuery`` per type.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import exists, false, or_, true

from community import access
from community.models import (
    Action,
    Body,
    BodyMember,
    Material,
    Meeting,
    Promoter,
    RosterDepartment,
    TrainingCourse,
    TrainingPlan,
)
from kernel.audit import ObjectQuery, object_rows, register_object_resolver


def _member_of(viewer: Any, body_id: Any) -> Any:
    """SQL: the viewer's municipality has a seat in the body (or the viewer is the secretariat)."""
    if access.is_organiser(viewer):
        return true()
    return exists().where(BodyMember.body_id == body_id, BodyMember.member_tenant == viewer.tenant_id)


def _bodies(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_view_forum(viewer)
    return ObjectQuery(object_rows(Body.id, Body.name).where(Body.id.in_(numbers)),
                       lambda row: (row.title, f"/community/bodies/{row.object_id}" if link else None))


def _meetings(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_view_forum(viewer)
    return ObjectQuery(object_rows(Meeting.id, Meeting.title).where(Meeting.id.in_(numbers)),
                       lambda row: (row.title, f"/community/meetings/{row.object_id}" if link else None))


def _actions(viewer: Any, numbers: list[int]) -> Any:
    owner = Action.owner_tenant == viewer.tenant_id if viewer.is_authenticated else false()
    return ObjectQuery(object_rows(Action.id, Action.title).where(
        Action.id.in_(numbers), or_(_member_of(viewer, Action.body_id), owner)),
        lambda row: (row.title, f"/community/actions/{row.object_id}"))


def _materials(viewer: Any, numbers: list[int]) -> Any:
    return ObjectQuery(object_rows(Material.id, Material.title, Material.meeting_id)
                       .join(Meeting, Meeting.id == Material.meeting_id)
                       .where(Material.id.in_(numbers), _member_of(viewer, Meeting.body_id)),
                       lambda row: (row.title, f"/community/meetings/{row.extra}"))


def _departments(viewer: Any, numbers: list[int]) -> Any:
    link = "/community/roster" if access.can_manage_own(viewer) else None
    return ObjectQuery(object_rows(RosterDepartment.id, RosterDepartment.name).where(
        RosterDepartment.tenant_id == viewer.tenant_id, RosterDepartment.id.in_(numbers)),
        lambda row: (row.title, link))


def _promoters(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_manage_own(viewer)
    return ObjectQuery(object_rows(Promoter.id, Promoter.name + " — " + RosterDepartment.name)
                       .join(RosterDepartment, (RosterDepartment.tenant_id == Promoter.tenant_id)
                             & (RosterDepartment.id == Promoter.department_id))
                       .where(Promoter.tenant_id == viewer.tenant_id, Promoter.id.in_(numbers)),
                       lambda row: (row.title, f"/community/roster/promoters/{row.object_id}" if link else None))


def _training_plans(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_manage_own(viewer)
    return ObjectQuery(object_rows(TrainingPlan.id, TrainingPlan.title).where(
        TrainingPlan.tenant_id == viewer.tenant_id, TrainingPlan.id.in_(numbers)),
        lambda row: (row.title, f"/community/training/plans/{row.object_id}" if link else None))


def _training_courses(viewer: Any, numbers: list[int]) -> Any:
    link = access.can_manage_own(viewer)
    return ObjectQuery(object_rows(TrainingCourse.id, TrainingCourse.title, TrainingCourse.plan_id).where(
        TrainingCourse.tenant_id == viewer.tenant_id, TrainingCourse.id.in_(numbers)),
        lambda row: (row.title, f"/community/training/plans/{row.extra}" if link else None))


register_object_resolver("community_body", _bodies, numeric=True)
register_object_resolver("community_meeting", _meetings, numeric=True)
register_object_resolver("community_action", _actions, numeric=True)
register_object_resolver("community_material", _materials, numeric=True)
register_object_resolver("community_department", _departments, numeric=True)
register_object_resolver("community_promoter", _promoters, numeric=True)
register_object_resolver("community_training_plan", _training_plans, numeric=True)
register_object_resolver("community_training_course", _training_courses, numeric=True)
