"""Support engagements for the authorization matrix.

own = 青梅市's request, released to TMG (stage 受付); other = 江東区's, released too. Both are visible to
TMG's supporter (support_desk policy) and to nobody else outside the municipality.
"""
from __future__ import annotations

import itertools

from tests.authz.providers import provides
from tests.factories.support import PDF, released


def _engagement(owner: str):  # type: ignore[no-untyped-def]
    if owner == "other":
        return released("マトリクス江東区の依頼", member="other_member", admin="other_admin")
    return released("マトリクス青梅市の依頼")


@provides("support_engagement")
def support_engagement(owner: str) -> str:
    return str(_engagement(owner).id)


@provides("support_file")
def support_file(owner: str) -> str:
    """``<engagement id>/files/<file id>``: a deliverable uploaded by the municipality's member."""
    from support.services import workspace
    from tests.factories.tenants import user

    engagement = _engagement(owner)
    who = "other_member" if owner == "other" else "member"
    row = workspace.add_file(user(who), engagement, "業務フロー.pdf", PDF, title="現状の業務フロー")
    return f"{engagement.id}/files/{row.id}"


@provides("support_outcome")
def support_outcome(owner: str) -> str:
    from datetime import date

    from support.services import workspace
    from tests.factories.tenants import user

    engagement = _engagement(owner)
    who = "other_member" if owner == "other" else "member"
    row = workspace.save_outcome(user(who), engagement, {
        "indicator": "staff_hours", "unit": "時間/年", "baseline_value": "1200", "baseline_on": date(2026, 4, 1),
        "baseline_source": "業務量調査"})
    return f"{engagement.id}/outcomes/{row.id}"


@provides("support_supporter")
def support_supporter(owner: str) -> str:
    from tests.factories.tenants import user

    return str(user("supporter").id)


@provides("support_theme")
def support_theme(owner: str) -> str:
    """The id of the theme BPR (a request's form names its theme by id; read as 青梅市's member)."""
    from tests.factories.support import theme_id
    from tests.factories.tenants import user

    user("member")
    return str(theme_id())


@provides("support_draft")
def support_draft(owner: str) -> str:
    """A draft request of 青梅市's member (version 1): still editable inside the municipality."""
    from tests.factories.support import draft

    return str(draft(title="マトリクス青梅市の下書き").id)


@provides("support_proposed")
def support_proposed(owner: str) -> str:
    """A draft of 青梅市's member sent to the administrator for approval (version 2)."""
    from support.services import requests
    from tests.factories.support import draft
    from tests.factories.tenants import user

    engagement = draft(title="マトリクス青梅市の承認待ち")
    requests.propose_request(user("member"), engagement, engagement.version)
    return str(engagement.id)


@provides("support_done")
def support_done(owner: str) -> str:
    """青梅市's request taken by TMG's desk through every stage to 完了 (version 8): ready to hand over."""
    from support.services import requests
    from tests.factories.tenants import user

    engagement = released("マトリクス青梅市の完了した支援")
    for stage in ("prioritise", "qualify", "plan", "active", "done"):
        requests.move_stage(user("supporter"), engagement, stage, "", engagement.version)
    return str(engagement.id)


@provides("support_supporter_profile")
def support_supporter_profile(owner: str) -> str:
    """The supporter account's id, its profile made and without skill levels: every sending of the same form
    starts from the same state (the first save would otherwise also create the profile, and clear the levels)."""
    from sqlalchemy import select

    from kernel.extensions import db
    from support.models import Skill
    from support.services import staffing
    from tests.factories.support import supporter_profile
    from tests.factories.tenants import user

    profile = supporter_profile()
    levels: dict[int, int | None] = {skill_id: None for skill_id in db.session.scalars(select(Skill.id))}
    staffing.update_profile(user("supporter"), profile, profile.capacity_hours, levels, profile.version)
    return str(profile.user_id)


_FRESH = itertools.count(1)


@provides("support_fresh")
def support_fresh(owner: str) -> str:
    """A number not used before in this process: a new skill's name must be unique."""
    return str(next(_FRESH))


def _assigned(owner: str):  # type: ignore[no-untyped-def]
    """The owner's released request with TMG's supporter account assigned to it by the desk."""
    from support.services import staffing
    from tests.factories.support import supporter_profile
    from tests.factories.tenants import user

    engagement = _engagement(owner)
    staffing.assign(user("supporter"), engagement, supporter_profile(), 10, False, "", engagement.version)
    return engagement


@provides("support_assigned")
def support_assigned(owner: str) -> str:
    """The engagement id, with TMG's supporter assigned (only an assigned supporter logs time)."""
    return str(_assigned(owner).id)


@provides("support_assignment")
def support_assignment(owner: str) -> str:
    """``<engagement id>/unassign/<supporter id>``: a running assignment of TMG's supporter account."""
    from flask import g

    from tests.factories.tenants import user

    engagement = _assigned(owner)
    g.support_assignment_version = engagement.version
    return f"{engagement.id}/unassign/{user('supporter').id}"


@provides("support_assignment_version")
def support_assignment_version(owner: str) -> str:
    """The version of the engagement the path's ``support_assignment`` made (the form's hidden field)."""
    from flask import g

    return str(g.support_assignment_version)


@provides("support_action")
def support_action(owner: str) -> str:
    """``<engagement id>/actions/<action id>``: an open next action added by the municipality's member."""
    from support.services import workspace
    from tests.factories.tenants import user

    engagement = _engagement(owner)
    who = "other_member" if owner == "other" else "member"
    row = workspace.add_action(user(who), engagement, "庁内説明資料の作成", "子育て支援課", None)
    return f"{engagement.id}/actions/{row.id}"
