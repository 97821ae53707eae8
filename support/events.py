"""Who is told of what in support engagements (rows of the notifications table, docs/notifications.md).

Parameters: ``title`` (the request's title — every recipient works on it), ``by`` (the requesting
municipality's name, ``by_ja`` / ``by_en``), ``name`` (a supporter's name), ``tenant_id`` (the
requesting municipality), ``people`` / ``supporter`` ((tenant_id, user_id) pairs). Never the problem
text, meeting notes or survey answers: a notification is stored in its reader's tenant.
"""
from kernel.notifications import N_, people_in_param, register_event, role_in_tenant, tmg_role

register_event("support.request_proposed", role_in_tenant("tenant_admin"),
               N_("The support request “%(title)s” is waiting for your approval"), catalogue="support",
               waiting=True)
register_event("support.request_returned", people_in_param("people"),
               N_("Your support request “%(title)s” was returned to draft"), catalogue="support")
register_event("support.request_approved", people_in_param("people"),
               N_("Your support request “%(title)s” was approved and sent to TMG"), catalogue="support")
register_event("support.request_received", tmg_role("supporter"),
               N_("%(by)s asked for support: “%(title)s”"), catalogue="support", waiting=True)
register_event("support.stage_changed", people_in_param("people"),
               N_("The support engagement “%(title)s” moved to the next stage"), catalogue="support")
register_event("support.completed", people_in_param("people"),
               N_("The support engagement “%(title)s” is completed: please answer the satisfaction survey"),
               catalogue="support", waiting=True)
register_event("support.assigned", people_in_param("supporter"),
               N_("You were assigned to the support engagement “%(title)s”"), catalogue="support", waiting=True)
register_event("support.staffed", people_in_param("people"),
               N_("%(name)s (TMG) joined the support engagement “%(title)s”"), catalogue="support")
register_event("support.survey_answered", tmg_role("supporter"),
               N_("%(by)s answered the satisfaction survey of “%(title)s”"), catalogue="support")
