"""Who is told of what in joint procurement (rows of the notifications table, docs/notifications.md).

Parameters: ``title`` (the project's title, public once the survey opens), ``tenant_id`` (one
municipality), ``tenants`` (the participating municipalities), ``deadline`` (a Tokyo date, text).
"""
from kernel.notifications import N_, register_event, role_in_every_municipality, role_in_tenant, role_in_tenants

register_event("procurement.survey_opened", role_in_every_municipality("tenant_admin"),
               N_("Joint procurement “%(title)s” asks for your municipality's demand (until %(deadline)s)"),
               catalogue="procurement", waiting=True)
register_event("procurement.declaration_pending", role_in_tenant("tenant_admin"),
               N_("A demand declaration for “%(title)s” is waiting for your approval"),
               catalogue="procurement", waiting=True)
register_event("procurement.survey_closing", role_in_tenants("tenant_admin"),
               N_("The demand survey of “%(title)s” closes on %(deadline)s; your municipality has not committed"),
               catalogue="procurement", waiting=True)
register_event("procurement.cancelled", role_in_tenants("tenant_admin"),
               N_("Joint procurement “%(title)s” was cancelled; the reason is on the project page"),
               catalogue="procurement")
register_event("procurement.awarded", role_in_tenants("tenant_admin"),
               N_("“%(title)s” was awarded; your municipality's share of the cost is on the project page"),
               catalogue="procurement")
