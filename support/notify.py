"""The support domain's notifications, through kernel.notifications (the events are in support/events.py).

One function per step, so the services say *what* happened and this module says who hears of it.
Notifications are written in the same transaction as the step; mails leave after the commit.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.notifications import notify
from support.models import Engagement


def _url(engagement: Engagement) -> str:
    return f"/support/{engagement.id}"


def _actor(actor: Any) -> tuple[str, int]:
    return (actor.tenant_id, actor.id)


def _requesters(engagement: Engagement) -> list[tuple[str, int]]:
    """The municipality's people on the request: who drafted it and who approved it."""
    ids = dict.fromkeys(i for i in (engagement.created_by, engagement.approved_by) if i is not None)
    return [(engagement.tenant_id, i) for i in ids]


def _by(actor: Any) -> dict[str, str]:
    return {"by_ja": actor.tenant.name_ja, "by_en": actor.tenant.name_en}


def request_proposed(actor: Any, engagement: Engagement) -> None:
    notify("support.request_proposed", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           tenant_id=engagement.tenant_id)


def request_returned(actor: Any, engagement: Engagement) -> None:
    notify("support.request_returned", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           people=_requesters(engagement))


def request_approved(actor: Any, engagement: Engagement) -> None:
    notify("support.request_approved", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           people=_requesters(engagement))
    notify("support.request_received", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           **_by(actor))


def stage_changed(actor: Any, engagement: Engagement) -> None:
    kind = "support.completed" if engagement.stage == "done" else "support.stage_changed"
    notify(kind, url=_url(engagement), actor=_actor(actor), title=engagement.title, people=_requesters(engagement))


def assigned(actor: Any, engagement: Engagement, supporter_tenant: str, supporter_id: int,
             supporter_name: str) -> None:
    notify("support.assigned", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           supporter=(supporter_tenant, supporter_id))
    notify("support.staffed", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           name=supporter_name, people=_requesters(engagement))


def survey_answered(actor: Any, engagement: Engagement, by: Optional[Any] = None) -> None:
    notify("support.survey_answered", url=_url(engagement), actor=_actor(actor), title=engagement.title,
           **_by(by or actor))
