"""Concurrent declarations on a real database with real commits: nothing is lost or double counted."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from kernel.extensions import db
from procurement import common
from procurement.models import Declaration, DemandTotal, Participation
from tenants.context import bind_tenant
from tests.conftest import committing_app, run_together
from tests.factories.procurement import declare, make_project, user

pytestmark = pytest.mark.no_rollback


@pytest.fixture(scope="module")
def real_app(cluster) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with committing_app(cluster, "proc_conc", 8) as application:
        yield application


def test_simultaneous_declarations_and_double_submits(real_app: Flask) -> None:
    with real_app.app_context():
        project = make_project(title="同時申告テスト")
        project_id = project.id
        db.session.commit()
        db.session.remove()

    def first_declaration(who: str, quantity: int):  # type: ignore[no-untyped-def]
        def job() -> None:
            declare(db.session.get(type(project), project_id), who, [quantity])
        return job

    # 青梅市's form submitted twice at the same instant, 江東区 and 千代田区 at the same time
    errors = run_together(real_app, [first_declaration("member", 40), first_declaration("member", 40),
                                      first_declaration("other_member", 120), first_declaration("chiyoda_member", 60)])
    assert errors == []
    with real_app.app_context():
        bind_tenant("132055")
        assert len(db.session.scalars(select(Declaration).where(Declaration.project_id == project_id)).all()) == 1
        total = db.session.scalar(select(DemandTotal.declared_quantity).where(DemandTotal.project_id == project_id))
        assert total == 40 + 120 + 60
        assert db.session.get(Participation, project_id).declared == 3
        db.session.remove()

    # two stale edits of the same declaration (both loaded version 1): one wins, the other gets a Conflict
    def edit(who: str, quantity: int):  # type: ignore[no-untyped-def]
        def job() -> None:
            declare(db.session.get(type(project), project_id), who, [quantity], version=1)
        return job

    errors = run_together(real_app, [edit("other_member", 100), edit("other_admin", 130), edit("chiyoda_member", 70)])
    assert len(errors) == 1 and isinstance(errors[0], common.Conflict)
    with real_app.app_context():
        user("other_member")
        koto = db.session.scalar(select(Declaration).where(Declaration.project_id == project_id))
        total = db.session.scalar(select(DemandTotal.declared_quantity).where(DemandTotal.project_id == project_id))
        assert total == 40 + koto.quantities()[koto.lines[0].item_id] + 70
        assert koto.version == 2
        db.session.remove()
