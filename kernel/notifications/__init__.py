"""Notifications: the table of who is told of what, in-app notifications and mail after the commit.

The API a domain uses (docs/notifications.md has the whole story):

* ``register_event(kind, recipients, text, catalogue=...)`` at import, with a recipients rule
  (``role_in_tenant``, ``tmg_role``, ``people_in_param``, ``combine`` or your own ``Recipients``)
  and a text marked with ``N_`` in the domain's catalogue;
* ``notify(kind, url=..., actor=(tenant_id, user_id), **params)`` in a service, in the same
  transaction as the write it tells about. Mails go out after the commit (``outbox``).
"""
from kernel.notifications.models import EMAIL_MODES, Notification, NotificationSetting, OutboxMail
from kernel.notifications.outbox import queue_mail, send_pending
from kernel.notifications.registry import (
    N_,
    EventKind,
    Recipients,
    combine,
    event_table,
    everyone_in_tenant,
    get_event,
    people_in_param,
    register_event,
    role_in_every_municipality,
    role_in_tenant,
    role_in_tenants,
    tmg_role,
)
from kernel.notifications.service import (
    mark_all_read,
    notifications_of,
    notify,
    open_notification,
    render_text,
    unread_count,
)

__all__ = [
    "EMAIL_MODES", "EventKind", "N_", "Notification", "NotificationSetting", "OutboxMail", "Recipients",
    "combine", "event_table", "everyone_in_tenant", "get_event", "mark_all_read", "notifications_of", "notify",
    "open_notification", "people_in_param", "queue_mail", "register_event", "render_text",
    "role_in_every_municipality", "role_in_tenant", "role_in_tenants", "send_pending", "tmg_role", "unread_count",
]
