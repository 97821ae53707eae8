"""Support engagements for the authorization matrix.

own = 青梅市's request, released to TMG (stage 受付); other = 江東区's, released too. Both are visible to
TMG's supporter (support_desk policy) and to nobody else outside the municipality.
"""
from __future__ import annotations

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
