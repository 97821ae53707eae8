"""The header's unread count comes with the session check (issue 25.5) and is never shown stale."""
from __future__ import annotations

from kernel.extensions import db
from kernel.notifications import service
from kernel.notifications.models import Notification
from tests.factories.tenants import user


def test_a_change_in_the_request_forgets_the_count_read_by_the_session_check(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        person = user("member")
        db.session.add(Notification(tenant_id=person.tenant_id, user_id=person.id, kind="", params={}, url=""))
        db.session.flush()
        before = service.unread_count(person.tenant_id, person.id)
        assert before >= 1
        # As if the session check had read the count before the request changed anything.
        service.set_unread_count(before)
        assert service.cached_unread_count(person.tenant_id, person.id) == before
        service.mark_all_read(person.tenant_id, person.id)
        assert service.cached_unread_count(person.tenant_id, person.id) == 0
        db.session.rollback()
