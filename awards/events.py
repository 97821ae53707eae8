"""Who is told of what in the awards (rows of the notifications table, docs/notifications.md).

Parameters: ``title`` (the entry's or programme's title), ``tenant_id`` (one municipality), ``tenants``
(the entrant municipalities), ``author`` / ``judge`` ((tenant_id, user_id) of one person), ``deadline``.
"""
from kernel.notifications import N_, people_in_param, register_event, role_in_tenant, role_in_tenants

register_event("awards.entry_pending", role_in_tenant("tenant_admin"),
               N_("The award entry “%(title)s” is waiting for your approval"), catalogue="awards", waiting=True)
register_event("awards.entry_returned", people_in_param("author"),
               N_("Your award entry “%(title)s” was returned to draft"), catalogue="awards")
register_event("awards.entry_submitted", people_in_param("author"),
               N_("Your award entry “%(title)s” was approved and submitted"), catalogue="awards")
register_event("awards.judge_assigned", people_in_param("judge"),
               N_("You were assigned entries to score in “%(title)s”"), catalogue="awards", waiting=True)
register_event("awards.judging_closing", people_in_param("judges"),
               N_("Judging of “%(title)s” closes on %(deadline)s; some of your score sheets are not submitted"),
               catalogue="awards", waiting=True)
register_event("awards.results_published", role_in_tenants("tenant_admin"),
               N_("The results of “%(title)s” were published"), catalogue="awards")
