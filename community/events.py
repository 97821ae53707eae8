"""The community's rows of the notification table (kernel/notifications; docs/notifications.md lists them).

Parameters are stored with each notification in its reader's municipality, so they hold only what
every recipient may see: a body's name, a meeting's title, an action's title, a department's name.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.notifications import N_, Recipients, people_in_param, register_event, role_in_tenant


def _owner_or_admins() -> Recipients:
    """The person named as an action's owner, else the tenant admins of the owner municipality."""
    people = people_in_param("owner")
    admins = role_in_tenant("tenant_admin", "tenant_id")

    def resolve(params: Mapping[str, Any]) -> list[tuple[str, int]]:
        return people.resolve(params) if params.get("owner") else admins.resolve(params)
    return Recipients("the action's owner person, else the tenant admins of its municipality", resolve)


register_event("community.meeting_scheduled", role_in_tenant("tenant_admin", "tenant_id"),
               N_("New meeting of %(body)s: %(title)s"), catalogue="community")
register_event("community.meeting_cancelled", people_in_param("people"),
               N_("%(title)s was cancelled."), catalogue="community")
register_event("community.meeting_reminder", people_in_param("people"),
               N_("Reminder: %(title)s starts at %(when)s"), catalogue="community")
register_event("community.minutes_review", people_in_param("people"),
               N_("Draft minutes of %(title)s are open for your amendments until %(day)s."), catalogue="community",
               waiting=True)
register_event("community.amendment_accepted", people_in_param("proposer"),
               N_("Your amendment to the minutes of %(title)s was accepted."), catalogue="community")
register_event("community.amendment_rejected", people_in_param("proposer"),
               N_("Your amendment to the minutes of %(title)s was not accepted."), catalogue="community")
register_event("community.action_assigned", _owner_or_admins(),
               N_("A follow-up action of %(title)s is yours: %(action)s"), catalogue="community", waiting=True)
register_event("community.promoter_named", people_in_param("person"),
               N_("You are now a DX promoter of %(department)s."), catalogue="community")
register_event("community.promoter_successor", people_in_param("person"),
               N_("You take over as DX promoter from %(name)s."), catalogue="community")
register_event("community.vacancies", role_in_tenant("tenant_admin", "tenant_id"),
               N_("DX promoters: %(empty)d departments without a promoter, %(ending)d terms ending without a "
                  "successor."), catalogue="community", waiting=True)
