"""Skills vocabulary, themes, supporter profiles and assignment (TMG's support desk only)."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select

from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from support import access, notify
from support.models import LEVELS, Engagement, Skill, Supporter, SupporterAssignment, SupporterSkill, Theme
from support.services.common import actor_name, bump, check_version, now, text
from tenants.models import TMG_CODE, User
from tenants.roles import Role


def _desk_only(actor: Any) -> None:
    if not access.is_desk(actor):
        raise ServiceError(_("Only TMG's support desk can do this."))


def add_skill(actor: Any, name_ja: str, name_en: str, category: str) -> Skill:
    """Add an entry to the skills vocabulary."""
    _desk_only(actor)
    name_ja = text(name_ja, 100, "name_ja", required=True)
    if db.session.scalar(select(Skill.id).where(Skill.name_ja == name_ja)) is not None:
        raise ServiceError(_("A skill with this name exists already."), "name_ja")
    skill = Skill(name_ja=name_ja, name_en=text(name_en, 100, "name_en", required=True),
                  category=text(category, 40, "category", required=True))
    db.session.add(skill)
    db.session.flush()
    audit.record("support.skill_add", "support_skill", skill.id, after={"name": name_ja, "category": skill.category})
    return skill


def set_skill_active(actor: Any, skill: Skill, active: bool) -> None:
    """Retire a skill (kept on profiles and engagements, offered no more) or bring it back."""
    _desk_only(actor)
    skill.is_active = bool(active)
    db.session.flush()
    audit.record("support.skill_active", "support_skill", skill.id, after={"active": skill.is_active})


def add_theme(actor: Any, code: str, name_ja: str, name_en: str) -> Theme:
    """Add a theme municipalities can choose for their requests."""
    _desk_only(actor)
    code = text(code, 40, "code", required=True)
    if not code.replace("_", "").isalnum() or not code.isascii():
        raise ServiceError(_("Use lower-case letters, digits and underscores for the code."), "code")
    if db.session.scalar(select(Theme.id).where(Theme.code == code)) is not None:
        raise ServiceError(_("A theme with this code exists already."), "code")
    position = len(list(db.session.scalars(select(Theme.id))))
    theme = Theme(code=code, name_ja=text(name_ja, 100, "name_ja", required=True),
                  name_en=text(name_en, 100, "name_en", required=True), position=position)
    db.session.add(theme)
    db.session.flush()
    audit.record("support.theme_add", "support_theme", theme.id, after={"code": code})
    return theme


def ensure_profile(actor: Any, user: User) -> Supporter:
    """The supporter profile of a TMG user with the supporter role (created on first use)."""
    _desk_only(actor)
    if user.tenant_id != TMG_CODE or not user.has_role(Role.SUPPORTER.value):
        raise ServiceError(_("Only TMG staff with the supporter role can have a supporter profile."))
    profile = db.session.get(Supporter, (TMG_CODE, user.id))
    if profile is None:
        profile = Supporter(tenant_id=TMG_CODE, user_id=user.id, display_name=user.display_name, capacity_hours=40)
        db.session.add(profile)
        db.session.flush()
        audit.record("support.profile_create", "support_supporter", user.id)
    return profile


def update_profile(actor: Any, profile: Supporter, capacity_hours: Any, levels: dict[int, Optional[int]],
                   expected_version: Optional[int]) -> None:
    """Set a supporter's monthly capacity and their level (1-4, or none) per skill."""
    _desk_only(actor)
    if expected_version != profile.version:
        from support.services.common import StaleVersion

        raise StaleVersion()
    if not isinstance(capacity_hours, int) or isinstance(capacity_hours, bool) or not 0 <= capacity_hours <= 200:
        raise ServiceError(_("Enter the capacity as whole hours from 0 to 200."), "capacity_hours")
    known = set(db.session.scalars(select(Skill.id)))
    if set(levels) - known or any(v is not None and v not in LEVELS for v in levels.values()):
        raise ServiceError(_("Choose a level from the list."))
    current = {r.skill_id: r for r in db.session.scalars(select(SupporterSkill).where(
        SupporterSkill.tenant_id == TMG_CODE, SupporterSkill.user_id == profile.user_id))}
    before = {"capacity": profile.capacity_hours, "levels": {k: r.level for k, r in current.items()}}
    for skill_id, level in levels.items():
        row = current.get(skill_id)
        if level is None and row is not None:
            db.session.delete(row)
        elif level is not None and row is None:
            db.session.add(SupporterSkill(tenant_id=TMG_CODE, user_id=profile.user_id, skill_id=skill_id, level=level))
        elif level is not None and row is not None:
            row.level = level
    profile.capacity_hours = capacity_hours
    profile.version += 1
    profile.updated_at = now()
    db.session.flush()
    audit.record("support.profile_update", "support_supporter", profile.user_id, before=before,
                 after={"capacity": capacity_hours, "levels": {k: v for k, v in levels.items() if v}})


def assign(actor: Any, engagement: Engagement, supporter: Supporter, planned_hours: Any, lead: bool,
           reason: str, expected_version: Optional[int]) -> SupporterAssignment:
    """Staff a supporter on the engagement; the supporter and the municipality's requester are told."""
    _desk_only(actor)
    if engagement.release_state != "submitted" or engagement.stage in ("done", "declined"):
        raise ServiceError(_("This engagement is closed."))
    check_version(engagement, expected_version)
    if not supporter.is_active:
        raise ServiceError(_("This supporter is not active."))
    if not isinstance(planned_hours, int) or isinstance(planned_hours, bool) or not 0 <= planned_hours <= 200:
        raise ServiceError(_("Enter the planned hours as whole hours from 0 to 200."), "planned_hours")
    row = db.session.get(SupporterAssignment, (engagement.tenant_id, engagement.id, supporter.user_id))
    if row is not None and row.ended_at is None:
        raise ServiceError(_("%(name)s is already assigned.", name=supporter.display_name))
    if row is None:
        row = SupporterAssignment(tenant_id=engagement.tenant_id, engagement_id=engagement.id,
                         supporter_user_id=supporter.user_id)
        db.session.add(row)
    row.supporter_name = f"{supporter.display_name}（東京都）"[:200]
    row.planned_hours, row.is_lead, row.reason = planned_hours, bool(lead), (reason or "")[:2000]
    row.assigned_by, row.ended_at, row.assigned_at = actor.id, None, now()
    bump(engagement)
    db.session.flush()
    audit.record("support.assign", "support_engagement", f"{engagement.tenant_id}:{engagement.id}",
                 after={"supporter": supporter.user_id, "planned_hours": planned_hours, "lead": bool(lead),
                        "by": actor_name(actor)})
    notify.assigned(actor, engagement, TMG_CODE, supporter.user_id, supporter.display_name)
    return row


def unassign(actor: Any, engagement: Engagement, supporter_user_id: int, expected_version: Optional[int]) -> None:
    """Take a supporter off the engagement (the row stays, with its end date)."""
    _desk_only(actor)
    check_version(engagement, expected_version)
    row = db.session.get(SupporterAssignment, (engagement.tenant_id, engagement.id, supporter_user_id))
    if row is None or row.ended_at is not None:
        raise ServiceError(_("This supporter is not assigned."))
    row.ended_at = now()
    bump(engagement)
    db.session.flush()
    audit.record("support.unassign", "support_engagement", f"{engagement.tenant_id}:{engagement.id}",
                 after={"supporter": supporter_user_id})
