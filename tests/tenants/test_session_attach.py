"""The session check's objects (tenants.auth._persistent): in the request's ORM session as if the ORM had loaded
them, although they are built from the session check's row rather than loaded by a query (issue 25.5)."""
from __future__ import annotations

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from kernel.extensions import db
from tenants.auth import _persistent
from tenants.context import as_tenant
from tenants.models import Tenant, User

OME = "132055"


def test_an_attached_row_is_a_clean_persistent_object_that_loads_and_saves_like_a_loaded_one(app_ctx) -> None:  # type: ignore[no-untyped-def]
    users, tenants = tuple(User.__table__.c), tuple(Tenant.__table__.c)
    with as_tenant(OME):
        user_row = tuple(db.session.execute(select(*users).where(User.tenant_id == OME).order_by(User.id)).first())
        tenant_row = tuple(db.session.execute(select(*tenants).where(Tenant.code == OME)).one())
        db.session.expunge_all()
        user = _persistent(User, users, user_row)
        state = sa_inspect(user)
        assert state.persistent and state.session is db.session()
        assert not state.modified and not db.session.dirty and not db.session.new
        assert _persistent(User, users, user_row) is user  # the identity map's object the second time
        assert db.session.get(User, state.identity) is user  # and the ORM's own look-up finds it, no query
        tenant = _persistent(Tenant, tenants, tenant_row)
        assert user.tenant is tenant  # an unloaded relationship loads (here: from the identity map)
        assert user.memberships and all(m.user is user for m in user.memberships)  # a collection loads too
        before = user.display_name
        user.display_name = before + "（試験）"
        assert user in db.session.dirty
        db.session.flush()  # the change is written like any loaded object's
        db.session.expire(user)
        assert user.display_name == before + "（試験）"
        db.session.rollback()
