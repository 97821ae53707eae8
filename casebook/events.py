"""Who is told of what in the casebook (rows of the notifications table, docs/notifications.md).

Parameters: ``title`` (the case's title, known to every recipient), ``by`` (a municipality's name,
given as ``by_ja`` / ``by_en``), ``tenant_id`` (the municipality whose people are told), ``author`` /
``asker`` ((tenant_id, user_id) of one person).
"""
from kernel.notifications import N_, everyone_in_tenant, people_in_param, register_event, role_in_tenant, tmg_role

register_event("casebook.question_asked", everyone_in_tenant(),
               N_("%(by)s asked a question about “%(title)s”"), catalogue="casebook", waiting=True)
register_event("casebook.question_answered", people_in_param("asker"),
               N_("%(by)s answered your question about “%(title)s”"), catalogue="casebook")
register_event("casebook.adopted", everyone_in_tenant(),
               N_("%(by)s plans to adopt “%(title)s”"), catalogue="casebook")
register_event("casebook.case_proposed", role_in_tenant("tenant_admin"),
               N_("“%(title)s” is waiting for your approval to be submitted to the casebook"),
               catalogue="casebook", waiting=True)
register_event("casebook.case_approved", people_in_param("author"),
               N_("“%(title)s” was approved and submitted to the curators"), catalogue="casebook")
register_event("casebook.case_declined", people_in_param("author"),
               N_("“%(title)s” was returned to draft by your administrator"), catalogue="casebook")
register_event("casebook.submission_queued", tmg_role("curator"),
               N_("%(by)s submitted “%(title)s” for the casebook"), catalogue="casebook", waiting=True)
register_event("casebook.changes_requested", people_in_param("author"),
               N_("The curators asked for changes to “%(title)s”"), catalogue="casebook", waiting=True)
register_event("casebook.published", people_in_param("author"),
               N_("“%(title)s” was published in the casebook"), catalogue="casebook")
