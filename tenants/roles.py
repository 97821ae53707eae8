"""Roles and what each may do — the one place where roles map to permissions.

Roles are held per membership in the person's home tenant (a municipality or TMG). Visibility
across tenants is never implied by a role alone: it is always a property of the object (a
published casebook entry, a procurement project, an award programme) checked by its service.
"""
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    MEMBER = "member"
    TENANT_ADMIN = "tenant_admin"
    CURATOR = "curator"
    JUDGE = "judge"
    OPERATOR = "operator"
    SUPPORTER = "supporter"


class Permission(StrEnum):
    CASES_READ_OWN = "cases.read_own"
    CASES_WRITE_OWN = "cases.write_own"
    CASEBOOK_READ = "casebook.read"
    CASEBOOK_CURATE = "casebook.curate"
    DEMAND_DECLARE = "procurement.declare"
    PROCUREMENT_ORGANISE = "procurement.organise"
    AWARD_ENTRY_DRAFT = "awards.entry_draft"
    AWARDS_ORGANISE = "awards.organise"
    AWARDS_JUDGE = "awards.judge"
    TENANT_APPROVE_RELEASE = "tenant.approve_release"
    TENANT_MANAGE_USERS = "tenant.manage_users"
    TENANT_MANAGE_SSO = "tenant.manage_sso"
    TENANT_VIEW_AUDIT = "tenant.view_audit"
    OPS_VIEW = "ops.view"
    WORKLOAD_ENTER = "workload.enter"
    WORKLOAD_MANAGE = "workload.manage"
    WORKLOAD_STANDARD = "workload.standard"
    COMMUNITY_PARTICIPATE = "community.participate"
    COMMUNITY_MANAGE = "community.manage"
    COMMUNITY_ORGANISE = "community.organise"
    SUPPORT_REQUEST = "support.request"
    SUPPORT_DESK = "support.desk"


_MEMBER = {
    Permission.CASES_READ_OWN,
    Permission.CASES_WRITE_OWN,
    Permission.CASEBOOK_READ,
    Permission.DEMAND_DECLARE,
    Permission.AWARD_ENTRY_DRAFT,
    Permission.WORKLOAD_ENTER,  # a department's hours in the municipality's open workload survey
    # The CIO forum and the talent network: read meetings, register, propose amendments to minutes
    # they attended, keep their own skills and opt in to the directory.
    Permission.COMMUNITY_PARTICIPATE,
    Permission.SUPPORT_REQUEST,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Municipal staff: their own municipality's cases, the casebook, demand and award drafts.
    # Never: approve what leaves the municipality, manage users, see another tenant's rows.
    Role.MEMBER: frozenset(_MEMBER),
    # DX lead / CIO office: everything a member does, plus the municipality's sign-off on what
    # leaves it (casebook submissions, award entries, committed demand), users, SSO and audit log.
    Role.TENANT_ADMIN: frozenset(_MEMBER | {
        Permission.TENANT_APPROVE_RELEASE,
        Permission.TENANT_MANAGE_USERS,
        Permission.TENANT_MANAGE_SSO,
        Permission.TENANT_VIEW_AUDIT,
        Permission.WORKLOAD_MANAGE,  # open/close survey rounds, own tasks, classes, sharing consent
        # The municipality's DX推進員 roster and training plans; answers for its forum actions.
        Permission.COMMUNITY_MANAGE,
    }),
    # TMG / GovTech Tokyo: curate the casebook, organise procurements and awards. A curator reads
    # the casebook like everyone; it never reads a municipality's private cases.
    Role.CURATOR: frozenset({
        Permission.CASEBOOK_READ,
        Permission.CASEBOOK_CURATE,
        Permission.PROCUREMENT_ORGANISE,
        Permission.AWARDS_ORGANISE,
        Permission.WORKLOAD_STANDARD,  # the standard task list; figures only where shared with TMG
        # The forum's secretariat: bodies, members, meetings, minutes and follow-up actions.
        Permission.COMMUNITY_ORGANISE,
    }),
    # Judges score the award entries assigned to them — never one from their own municipality
    # (enforced by the awards service, not by this table).
    Role.JUDGE: frozenset({Permission.CASEBOOK_READ, Permission.AWARDS_JUDGE}),
    # TMG / GovTech Tokyo support desk (伴走型支援): triage the requests municipalities sent, staff
    # them, work in the engagements, keep the skills and themes, see the management figures. It reads a
    # municipality's engagement only once that municipality's admin released it, and never its cases
    # (the support_desk RLS policy admits exactly this role, see docs/support.md).
    Role.SUPPORTER: frozenset({Permission.CASEBOOK_READ, Permission.SUPPORT_DESK}),
    # The service's administrators: health and audit, nothing of a municipality's content.
    Role.OPERATOR: frozenset({Permission.OPS_VIEW, Permission.TENANT_VIEW_AUDIT}),
}


def permissions_for(roles: set[str]) -> frozenset[Permission]:
    """Union of the permissions of the given role names (unknown names grant nothing)."""
    granted: set[Permission] = set()
    for name in roles:
        try:
            granted |= ROLE_PERMISSIONS[Role(name)]
        except ValueError:
            continue
    return frozenset(granted)


ROLE_LABELS = {
    "member": _l("Member"),
    "tenant_admin": _l("Administrator"),
    "curator": _l("Curator"),
    "judge": _l("Judge"),
    "operator": _l("Operator"),
    "supporter": _l("Supporter"),
}


def role_label(role: str) -> str:
    """The role's name in the user's language (a template global)."""
    return str(ROLE_LABELS.get(role, role))
