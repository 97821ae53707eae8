""""Waiting for you" and deadline reminders of the awards.

- a tenant admin: their municipality's entries waiting for approval;
- a judge: the score sheets not yet submitted in programmes whose judging is open;
- reminders: ``reminder_days`` before judging closes, the judges with sheets left are told (once a day).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import func, select

from awards.judging import snapshot
from awards.models import Entry, Judge, Programme
from awards.services import judging_window_open
from kernel.extensions import db
from kernel.i18n import TOKYO, format_day, in_own_lang
from kernel.i18n import service_gettext as _
from kernel.notifications import notify
from kernel.reminders import register_reminders
from kernel.waiting import VIEWER_TENANT, WaitingCount, WaitingItem, register_waiting
from tenants.roles import Permission

# The count, built once (kernel/waiting.py).
_APPROVALS = select(func.count(), func.min(Entry.requested_at)).where(Entry.tenant_id == VIEWER_TENANT,
                                                                      Entry.status == "pending")


# Counted in the dashboard's statement, the same for everyone of a municipality and roles: kept per worker.
@register_waiting(fixed=True)
def awards_approvals(user: Any) -> list[WaitingCount]:
    if not user.can(Permission.TENANT_APPROVE_RELEASE):
        return []
    return [WaitingCount("awards.approvals", _("Award entries waiting for your approval"), url_for("awards.index"),
                         _APPROVALS)]


# A judge's sheets left, from the programme's snapshot: asked at every view.
@register_waiting
def awards_waiting(user: Any) -> list[WaitingItem]:
    items: list[WaitingItem] = []
    if user.can(Permission.AWARDS_JUDGE):
        for judge, programme in db.session.execute(select(Judge, Programme).join(
                Programme, Programme.id == Judge.programme_id).where(
                Judge.judge_tenant == user.tenant_id, Judge.judge_user_id == user.id)).all():
            if not judging_window_open(programme):
                continue
            progress = snapshot(programme).progress(judge)
            left = progress.total - progress.done
            if left:
                # The title keeps its own language (lang attribute) inside the translated sentence.
                label = Markup(escape(_("Score sheets to submit in “%(title)s”"))) % {
                    "title": in_own_lang(programme.title)}
                items.append(WaitingItem(f"awards.sheets.{programme.id}", label, left,
                                         url_for("awards.judging", programme_id=programme.id),
                                         programme.judging_opens_at))
    return items


@register_reminders
def judging_closing_reminders(today: date) -> int:
    """Remind judges with unsubmitted sheets ``reminder_days`` before judging closes."""
    told = 0
    for programme in db.session.scalars(select(Programme).where(Programme.reminder_days > 0,
                                                                Programme.results_published_at.is_(None))):
        closes_on = programme.judging_closes_at.astimezone(TOKYO).date()
        if (closes_on - today).days != programme.reminder_days or programme.last_reminder_on == today:
            continue
        snap = snapshot(programme)
        behind = [(j.judge_tenant, j.judge_user_id) for j in snap.judges
                  if snap.progress(j).total > snap.progress(j).done]
        told += notify("awards.judging_closing", url=f"/awards/judging/{programme.id}", title=programme.title,
                       judges=behind, deadline_ja=format_day(closes_on, "ja"), deadline_en=format_day(closes_on, "en"))
        programme.last_reminder_on = today
        db.session.flush()
    return told
