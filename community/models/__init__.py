"""Models of the community domain, one module per entity group.

The forum (``bodies``, ``meetings``, ``minutes``, ``actions``) is a cross-tenant space run by TMG; its
rows name municipalities ``*_tenant`` and the community services decide who sees what. The talent
network (``roster``, ``skills``) is tenant-owned with forced RLS, except the opt-in directory copy.
"""
from community.models.actions import ACTION_STATUSES, LINK_KINDS, Action, ActionLink, ActionUpdate
from community.models.bodies import BODY_KINDS, MEMBER_ROLES, Body, BodyMember
from community.models.meetings import ATTENDANCE, VISIBILITIES, AgendaItem, Material, Meeting, Registration
from community.models.minutes import Amendment, Minutes, MinuteSection
from community.models.roster import Promoter, PromoterContact, RosterDepartment
from community.models.skills import (
    DirectoryProfile,
    SkillAssessment,
    TrainingCompletion,
    TrainingCourse,
    TrainingPlan,
)

__all__ = [
    "ACTION_STATUSES", "ATTENDANCE", "BODY_KINDS", "LINK_KINDS", "MEMBER_ROLES", "VISIBILITIES",
    "Action", "ActionLink", "ActionUpdate", "AgendaItem", "Amendment", "Body", "BodyMember", "RosterDepartment",
    "DirectoryProfile", "Material", "Meeting", "MinuteSection", "Minutes", "Promoter", "PromoterContact",
    "Registration", "SkillAssessment", "TrainingCompletion", "TrainingCourse", "TrainingPlan",
]
