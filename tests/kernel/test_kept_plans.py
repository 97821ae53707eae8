"""Kept plans (kernel/kept_plans.py): a hot page's statement run through a PL/pgSQL function whose plan PostgreSQL
keeps per server connection, with the statement's rows, under the caller's tenant binding and row-level security."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from kernel.extensions import db
from kernel.kept_plans import KeptPlan, plan_functions, registered
from tenants.context import bind_tenant
from tests.conftest import KOTO, OME


def _stored() -> dict[str, str]:
    return dict(db.session.execute(text(
        "SELECT proname, prosrc FROM pg_proc WHERE starts_with(proname, 'yokoten_plan_')")).all())


def test_every_kept_plan_has_its_function_with_its_very_query(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """Each wrapped statement has its plan function in the migrated database, running its current text. A statement
    whose code changed has a new name: write its function into a new migration with ``KeptPlan.function`` (until
    then it is sent as it is, uncached, still exact)."""
    plans = registered()
    assert len(plans) >= 1  # the session check at least (the app imports every module)
    stored = _stored()
    missing = {}
    for plan in plans:
        name, definition = plan.function
        if stored.get(name) != definition.split("$plan$")[1]:
            missing[name] = definition
    assert not missing, "kept plans without their function (add them in a migration):\n\n" + \
        "\n\n".join(missing.values())


def _types(connection, statement, parameters):  # type: ignore[no-untyped-def]
    """The type (oid) of each result column, as PostgreSQL describes them."""
    result = connection.execute(statement, parameters)
    try:
        return [column.type_code for column in result.cursor.description]
    finally:
        result.close()


def test_each_function_returns_the_types_the_statement_returns(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """RETURNS TABLE is typed from the statement's SQLAlchemy types: they must be the types PostgreSQL gives the
    statement's columns (RETURN QUERY refuses varchar for text, integer for bigint). Called with every argument
    NULL (no row), the function and the statement describe columns of the same types."""
    connection = db.session.connection()
    for plan in registered():
        nulls = {key: None for key in plan.call.compile().binds}
        assert _types(connection, plan.call, nulls) == _types(connection, plan.statement, nulls), plan.function[0]


def _session_of(client, login_as, who):  # type: ignore[no-untyped-def]
    """(tenant, session hash) of a fresh login of ``who``."""
    from tenants.models import AuthSession
    from tests.conftest import ROLE_ACCOUNTS

    login_as(who)
    tenant = ROLE_ACCOUNTS[who][0]
    bind_tenant(tenant)
    found = db.session.scalars(select(AuthSession.id).where(AuthSession.tenant_id == tenant)
                               .order_by(AuthSession.created_at.desc())).first()
    assert found is not None
    return {"tenant": tenant, "session_hash": found}


def test_the_session_checks_row_through_its_function_is_the_statements(app, client, login_as) -> None:  # type: ignore[no-untyped-def]
    """The same values in the same places, the same types' processing, and through kernel.driver (as the session
    check reads it) the same names."""
    from kernel import driver
    from tenants.auth import _SESSION_CHECK

    with app.app_context():
        values = _session_of(client, login_as, "tenant_admin")
        connection = db.session.connection()
        assert _SESSION_CHECK.statement_for(connection) is _SESSION_CHECK.call  # the migrated database has it
        alone = connection.execute(_SESSION_CHECK.statement, values).one()
        called = _SESSION_CHECK.execute(connection, values).one()
        assert tuple(called) == tuple(alone)
        assert sorted(alone[-2]) == ["member", "tenant_admin"]
        alone = driver.first(connection, _SESSION_CHECK.statement, values)
        called = driver.first(connection, _SESSION_CHECK.call, values)
        assert called == alone and called._fields == alone._fields and called.email == "admin@ome.example.jp"
        db.session.remove()


@pytest.mark.parametrize("plan_cache_mode", ["auto", "force_generic_plan"])
def test_a_kept_plan_reads_under_the_callers_binding(app, client, login_as, count_queries,
                                                     plan_cache_mode) -> None:  # type: ignore[no-untyped-def]
    """The session check's function runs as the caller, under the caller's tenant binding and row-level
    security, also when its plan was kept from calls for another municipality on the same connection (past
    PostgreSQL's first five custom plans, or with the generic plan from the start)."""
    from tenants.auth import _SESSION_CHECK

    with app.app_context():
        ome = _session_of(client, login_as, "tenant_admin")
        koto = _session_of(client, login_as, "other_admin")
        db.session.execute(text(f"SET LOCAL plan_cache_mode = {plan_cache_mode}"))
        connection = db.session.connection()
        name = _SESSION_CHECK.function[0]
        _SESSION_CHECK.statement_for(connection)  # (the worker's first use reads which functions the database has)
        bind_tenant(OME)
        with count_queries() as statements:
            for _ in range(7):
                row = _SESSION_CHECK.execute(connection, ome).one()
                assert row.email == "admin@ome.example.jp"
        assert len(statements) == 7 and all(name in s and "auth_sessions" not in s for s in statements), statements
        bind_tenant(KOTO)  # the same connection, bound to 江東区 now
        assert _SESSION_CHECK.execute(connection, ome).first() is None  # row-level security inside the function
        assert _SESSION_CHECK.execute(connection, koto).one().email == "admin@koto.example.jp"
        bind_tenant(None)
        assert _SESSION_CHECK.execute(connection, ome).first() is None
        assert _SESSION_CHECK.execute(connection, koto).first() is None
        bind_tenant(OME)
        assert _SESSION_CHECK.execute(connection, ome).one().email == "admin@ome.example.jp"
        db.session.remove()


def test_the_session_check_goes_through_its_function(client, login_as, count_queries) -> None:  # type: ignore[no-untyped-def]
    """Every logged-in page calls the session check's function (with the binding in front, in one round trip):
    PostgreSQL plans no join of sessions, users and tenants per request."""
    from tenants.auth import _SESSION_CHECK

    login_as("member")
    client.get("/profile/")
    with count_queries(include_bindings=True) as statements:
        assert client.get("/profile/").status_code == 200
    checks = [s for s in statements if _SESSION_CHECK.function[0] in s]
    assert len(checks) == 1 and checks[0].startswith("SELECT set_config('app.tenant_id'"), statements
    assert not [s for s in statements if "FROM auth_sessions" in s], statements


@pytest.fixture
def unregistered():  # type: ignore[no-untyped-def]
    """The kept plans a test makes are forgotten after it (the registry lists the application's)."""
    from kernel import kept_plans

    before = list(kept_plans._registered)
    yield
    kept_plans._registered[:] = before


def test_a_statement_without_its_function_is_sent_as_it_is(app_ctx, unregistered) -> None:  # type: ignore[no-untyped-def]
    """A statement whose function no migration created yet (its code changed: another hash) runs uncached, exact."""
    from sqlalchemy import bindparam

    from tenants.models import Tenant

    plan = KeptPlan(select(Tenant.name_ja).where(Tenant.code == bindparam("code")))
    connection = db.session.connection()
    assert plan.function[0] not in plan_functions(connection)
    assert plan.statement_for(connection) is plan.statement
    assert plan.execute(connection, {"code": OME}).scalar_one() == "青梅市"
    assert "yokoten_plan_" not in plan.driver_sql(connection)


def test_a_statement_needs_typed_parameters_and_columns(unregistered) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import Integer, bindparam, column

    with pytest.raises(TypeError, match="x"):  # the parameter's type
        KeptPlan(text("SELECT :x").columns(column("x", Integer))).function  # noqa: B018
    with pytest.raises(TypeError, match="x"):  # the column's type
        KeptPlan(text("SELECT :x").bindparams(bindparam("x", type_=Integer)).columns(column("x"))).function  # noqa: B018


@pytest.mark.parametrize("plan_cache_mode", ["auto", "force_generic_plan"])
def test_a_kept_page_statement_shows_a_declaration_to_its_municipality_only(app_ctx, plan_cache_mode) -> None:  # type: ignore[no-untyped-def]
    """The procurement page's function (sent as driver SQL) reads the viewer's own declaration under the caller's
    binding: a plan kept from 青梅市's calls shows nothing of 青梅市's declaration to 江東区 on the same connection."""
    from procurement.project_page import _PAGE_WITH_OWN
    from tests.factories.procurement import declare, make_project
    from tests.factories.tenants import user

    project = make_project(title="関数でも他団体には見せない申告")
    declare(project, "member", [10], intent="commit")  # 青梅市's declaration
    db.session.execute(text(f"SET LOCAL plan_cache_mode = {plan_cache_mode}"))
    connection = db.session.connection()
    sql = _PAGE_WITH_OWN.driver_sql(connection)
    assert _PAGE_WITH_OWN.function[0] in sql and "procurement_declarations" not in sql

    def own(tenant: str):  # type: ignore[no-untyped-def]
        return connection.exec_driver_sql(sql, {"project_id": project.id, "tenant": tenant}).one()[0][24]

    user("tenant_admin")  # 青梅市
    for _ in range(7):  # past PostgreSQL's first custom plans
        assert own(OME)[0] == "pending_approval"
    user("other_admin")  # 江東区, the same connection
    assert own(OME) is None and own(KOTO) is None
    bind_tenant(None)
    assert own(OME) is None
    user("tenant_admin")
    assert own(OME)[0] == "pending_approval"


@pytest.mark.parametrize(("who", "path"), [("member", "/casebook/{huge}"), ("member", "/procurement/{huge}"),
                                           ("curator", "/procurement/{huge}"), ("judge", "/awards/judging/{huge}/X")])
def test_an_id_past_bigint_is_not_found(client, login_as, who, path) -> None:  # type: ignore[no-untyped-def]
    """A page whose statement is kept takes its id as a bigint argument: an id no bigint holds names no row (the
    statement alone compared it as a numeric), so the page answers 404 without calling the function."""
    login_as(who)
    assert client.get(path.format(huge="9" * 25)).status_code == 404
    assert client.get(path.format(huge=str(2**63))).status_code == 404
