"""The dashboard asks every "waiting for you" count and figure in one statement (issue 25.5), with the same
answers, under the same row-level security, as each statement alone."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kernel.dashboard import FigureCount, dashboard_for, figure_entries, figures_for
from kernel.extensions import db
from kernel.waiting import WaitingCount, count_together, viewer_values, waiting_entries, waiting_for
from tenants.roles import Permission
from tests.conftest import ROLE_ACCOUNTS
from tests.factories.procurement import declare, make_project
from tests.factories.tenants import user


def _alone(statement, values):  # type: ignore[no-untyped-def]
    row = db.session.execute(statement, values).one()
    return int(row[0] or 0), (row[1] if len(row) > 1 else None)


@pytest.mark.parametrize("who", sorted(ROLE_ACCOUNTS))
def test_counted_together_as_each_alone(app_ctx, who) -> None:  # type: ignore[no-untyped-def]
    project = make_project(title="一括集計の共同調達")
    declare(project, "member", [10], intent="commit")  # 青梅市's admin: one approval waiting
    person = user(who)
    with app_ctx.test_request_context():
        counts = [e for e in waiting_entries(person) if isinstance(e, WaitingCount)]
        values = viewer_values(person)
        together = count_together([e.statement for e in counts], values)
        assert together == [_alone(e.statement, values) for e in counts]
        figure_counts = [e for e in figure_entries(person) if isinstance(e, FigureCount)]
        assert count_together([e.statement for e in figure_counts], values) == [
            _alone(e.statement, values) for e in figure_counts]
        items = {i.key: i for i in waiting_for(person)}
        figures, waiting = dashboard_for(person)
        assert {i.key: i for i in waiting} == items
        assert figures == figures_for(person)
    if who == "tenant_admin":
        assert items["procurement.approvals"].count == 1
        assert items["procurement.declarations_due"].count >= 1


@pytest.mark.parametrize("who", ["member", "tenant_admin", "curator", "other_admin"])
def test_casebook_figures_count_what_they_name(app_ctx, who) -> None:  # type: ignore[no-untyped-def]
    """The casebook's figures (counted in the dashboard's union, sharing the statements of "waiting for you") are
    the municipality's cases by release state and the curators' queue, as the lists they link to count them."""
    from flask import url_for

    from casebook.models import Case, Submission
    from casebook.services import propose_case
    from tests.factories.casebook import make_case

    author = user("member")
    for title in ("承認待ちの事例", "もう一つの承認待ち"):
        propose_case(make_case(author.tenant_id, "member@ome.example.jp", title=title), author.id)
    make_case(author.tenant_id, "member@ome.example.jp", title="下書きの事例")
    person = user(who)
    states = dict(db.session.execute(select(Case.release_state, func.count()).where(
        Case.tenant_id == person.tenant_id).group_by(Case.release_state)).all())
    queued = db.session.scalar(select(func.count()).select_from(Submission).where(Submission.status == "queued"))
    with app_ctx.test_request_context():
        shown = {f.url: f.value for f in figures_for(person)}
        proposed = url_for("casebook.cases_index", state="proposed")
        expected = {}
        if person.can(Permission.CASES_READ_OWN):
            expected[url_for("casebook.cases_index")] = f"{sum(states.values()):,}"
        if person.can(Permission.TENANT_APPROVE_RELEASE):
            expected[proposed] = f"{states.get('proposed', 0):,}"
        if person.can(Permission.CASEBOOK_CURATE):
            expected[url_for("casebook.curation_queue")] = f"{queued:,}"
    assert {url: shown.get(url) for url in expected} == expected
    if who == "tenant_admin":
        assert states["proposed"] >= 2 and shown[proposed] == f"{states['proposed']:,}"


def test_each_branch_stays_under_the_viewers_tenant(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """A municipality's pending declaration is counted for its own admin only, also inside the UNION."""
    from procurement.models import Declaration

    project = make_project(title="他団体には数えない案件")
    declare(project, "member", [10], intent="commit")  # 青梅市
    ome_count, also = (select(func.count()).where(Declaration.status == "pending_approval",
                                                  Declaration.project_id == project.id) for _ in range(2))
    user("other_admin")  # bound to 江東区: RLS hides 青梅市's declaration even without a tenant condition
    assert count_together([ome_count, also])[0][0] == 0
    user("tenant_admin")
    assert count_together([ome_count, also]) == [(1, None), (1, None)]


def test_a_statement_given_twice_is_asked_once(app_ctx, count_queries) -> None:  # type: ignore[no-untyped-def]
    """A figure and a "waiting for you" item giving the same statement object share one branch of the union."""
    from casebook.waiting import APPROVALS, REVIEW_QUEUE

    person = user("tenant_admin")
    values = viewer_values(person)
    alone = [_alone(APPROVALS, values), _alone(REVIEW_QUEUE, values)]
    # The database's count functions are read once per worker and database: already, whichever test ran first.
    count_together([APPROVALS, REVIEW_QUEUE, APPROVALS], values)
    with count_queries() as statements:
        together = count_together([APPROVALS, REVIEW_QUEUE, APPROVALS], values)
    assert together == [alone[0], alone[1], alone[0]]
    assert len(statements) == 1 and statements[0].count("UNION ALL") == 1, statements


def test_admins_dashboard_counts_in_one_statement(client, login_as, count_queries) -> None:  # type: ignore[no-untyped-def]
    login_as("tenant_admin")
    client.get("/")
    with count_queries() as statements:
        page = client.get("/")
    assert page.status_code == 200
    counts = [s for s in statements if "count(" in s.lower()]
    # The community roster, and one call of the dashboard's counts function for the rest (the casebook's figures
    # too).
    assert sum("yokoten_counts_" in s for s in statements) == 1, "\n".join(statements)
    assert len(counts) <= 2, "\n".join(counts)


# --- count functions (kernel/waiting.py): the counts' plans kept by PostgreSQL ----------------------------

def _every_count_statement(app_ctx):  # type: ignore[no-untyped-def]
    """Every count statement the providers give any of the role accounts (a figure's and an item's)."""
    statements = {}
    with app_ctx.test_request_context():
        for who in sorted(ROLE_ACCOUNTS):
            person = user(who)
            for entry in [*waiting_entries(person), *figure_entries(person)]:
                if isinstance(entry, (WaitingCount, FigureCount)):
                    statements[id(entry.statement)] = entry.statement
    return list(statements.values())


def test_every_count_has_its_function_with_its_very_query(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """Each registered count has a count function in the migrated database, and the function runs the statement's
    current text. A count whose code changed has a new name: write its function into a new migration with
    ``kernel.waiting.count_function(statement)`` (until then it is asked uncached, still exactly)."""
    from sqlalchemy import text

    from kernel.waiting import count_function

    statements = _every_count_statement(app_ctx)
    assert len(statements) >= 12  # the scan sees the domains' counts
    stored = dict(db.session.execute(text(
        "SELECT proname, prosrc FROM pg_proc WHERE starts_with(proname, 'yokoten_count_')")).all())
    missing = {}
    for statement in statements:
        name, definition = count_function(statement)
        source = definition.split("$count$")[1]
        if stored.get(name) != source:
            missing[name] = definition
    assert not missing, "count statements without their function (add them in a migration):\n\n" + \
        "\n\n".join(missing.values())


@pytest.mark.parametrize("who", ["member", "tenant_admin"])
def test_the_dashboard_counts_through_one_function(client, login_as, count_queries, who) -> None:  # type: ignore[no-untyped-def]
    """The dashboard asks every count with one call of its counts function: no count statement is planned per
    view, and no count function is called one by one beside it."""
    login_as(who)
    client.get("/")
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    calls = [s for s in statements if "yokoten_count" in s]
    assert len(calls) == 1 and calls[0].count("yokoten_counts_") == 1, "\n".join(statements)
    assert "yokoten_count_" not in calls[0] and "UNION ALL" not in calls[0] and "count(" not in calls[0], calls[0]


@pytest.mark.parametrize("who", sorted(ROLE_ACCOUNTS))
def test_every_dashboard_has_its_counts_function(app_ctx, who) -> None:  # type: ignore[no-untyped-def]
    """Each role account's dashboard has its counts function in the migrated database, running the current text
    of its statements in their order. A dashboard whose statements changed has a new name: write its function
    into a new migration with ``kernel.waiting.counts_function(dashboard_statements(person))`` (until then it asks
    the count functions one by one, still exactly)."""
    from sqlalchemy import text

    from kernel.dashboard import dashboard_statements
    from kernel.waiting import counts_function

    with app_ctx.test_request_context():
        name, definition = counts_function(dashboard_statements(user(who)))
    stored = db.session.scalar(text("SELECT prosrc FROM pg_proc WHERE proname = :name"), {"name": name})
    assert stored == definition.split("$counts$")[1], "add this counts function in a migration:\n\n" + definition


def test_a_counts_function_counts_under_the_callers_binding(app_ctx, count_queries) -> None:  # type: ignore[no-untyped-def]
    """The counts function runs every branch as the caller, under the caller's tenant binding and row-level
    security, also when its plan was kept from a call for another municipality on the same connection; and it
    answers what the statements answer alone."""
    from kernel.dashboard import dashboard_statements
    from kernel.waiting import counts_function

    project = make_project(title="まとめた関数でも他団体には数えない案件")
    declare(project, "member", [10], intent="commit")  # 青梅市's admin: one approval waiting
    ome = user("tenant_admin")
    with app_ctx.test_request_context():
        statements = dashboard_statements(ome)
    name = counts_function(statements)[0]
    ome_values = viewer_values(ome)
    alone = [_alone(statement, ome_values) for statement in statements]
    assert alone[statements.index(_procurement_approvals())][0] == 1
    with count_queries() as sent:
        for _ in range(7):  # past PostgreSQL's first custom plans: the kept, generic plan answers too
            assert count_together(statements, ome_values) == alone
    assert all(name in s and "procurement_declarations" not in s for s in sent), sent
    koto = user("other_admin")  # bound to 江東区 now, on the same connection
    with app_ctx.test_request_context():
        assert dashboard_statements(koto) == statements  # the same roles: the same function
    koto_values = viewer_values(koto)
    assert count_together(statements, koto_values) == [_alone(statement, koto_values) for statement in statements]
    # 青梅市's values under 江東区's binding: row-level security inside the function hides 青梅市's rows
    under_koto = count_together(statements, ome_values)
    assert under_koto[statements.index(_procurement_approvals())][0] == 0
    assert under_koto == [_alone(statement, ome_values) for statement in statements]
    user("tenant_admin")
    assert count_together(statements, ome_values) == alone


def _procurement_approvals():  # type: ignore[no-untyped-def]
    from procurement.waiting import _APPROVALS

    return _APPROVALS


def test_a_function_counts_under_the_callers_binding(app_ctx, count_queries) -> None:  # type: ignore[no-untyped-def]
    """A count function runs as the caller, under the caller's tenant binding and row-level security, also
    when its plan was kept from a call for another municipality on the same connection."""
    from kernel.waiting import count_function
    from procurement.waiting import _APPROVALS

    project = make_project(title="関数でも他団体には数えない案件")
    declare(project, "member", [10], intent="commit")  # 青梅市's admin: one approval waiting
    ome = user("tenant_admin")
    ome_values = viewer_values(ome)
    with count_queries() as statements:
        for _ in range(7):  # past PostgreSQL's first custom plans: the kept, generic plan answers too
            assert count_together([_APPROVALS], ome_values)[0][0] == 1
    assert all(count_function(_APPROVALS)[0] in s and "procurement_declarations" not in s for s in statements)
    koto = user("other_admin")  # bound to 江東区 now, on the same connection
    assert count_together([_APPROVALS], viewer_values(koto))[0][0] == 0
    # 青梅市's values under 江東区's binding: row-level security inside the function hides the declaration
    assert count_together([_APPROVALS], ome_values)[0][0] == 0
    user("tenant_admin")
    assert count_together([_APPROVALS], ome_values)[0][0] == 1


# --- entries kept per worker (providers registered fixed=True) -------------------------------------------

def _fresh(person):  # type: ignore[no-untyped-def]
    """Every provider asked now, nothing kept."""
    from kernel import dashboard, waiting

    return ([e for p in waiting._providers for e in p(person)], [e for p in dashboard._providers for e in p(person)])


def test_kept_entries_follow_the_language(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    person = user("tenant_admin")
    labels = {}
    with app_ctx.test_request_context():
        for lang in ("ja", "en", "ja", "en"):
            with force_locale(lang):
                kept = (waiting_entries(person), figure_entries(person))
                assert kept == _fresh(person)
                labels.setdefault(lang, [e.label for e in kept[0] + kept[1]])
                assert labels[lang] == [e.label for e in kept[0] + kept[1]]
    assert labels["ja"] != labels["en"] and "Our cases" in labels["en"], labels


def test_kept_entries_follow_a_role_given_at_once(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from tenants.models import Membership

    person = user("member")
    with app_ctx.test_request_context():
        before = {e.key for e in waiting_entries(person)}
        db.session.add(Membership(tenant_id=person.tenant_id, user_id=person.id, role="tenant_admin"))
        db.session.flush()
        db.session.expire(person, ["memberships"])
        after = {e.key for e in waiting_entries(person)}
        assert (waiting_entries(person), figure_entries(person)) == _fresh(person)
    assert "casebook.approvals" not in before and {"casebook.approvals", "procurement.approvals"} <= after


def test_kept_entries_follow_the_script_root(app_ctx) -> None:  # type: ignore[no-untyped-def]
    person = user("tenant_admin")
    with app_ctx.test_request_context("/"):
        plain = [e.url for e in waiting_entries(person)]
    with app_ctx.test_request_context("/", base_url="http://localhost/portal"):
        rooted = [e.url for e in waiting_entries(person)]
        assert (waiting_entries(person), figure_entries(person)) == _fresh(person)
    assert plain and rooted == ["/portal" + url for url in plain]


def test_kept_entries_are_per_municipality(app_ctx) -> None:  # type: ignore[no-untyped-def]
    """The same roles in TMG: its own rules (no demand declarations to approve, no support to request)."""
    from tenants.models import TMG_CODE
    from tests.factories.tenants import make_user, user_of

    make_user(TMG_CODE, "admin-like@metro.tokyo.example.jp", ("member", "tenant_admin"))
    with app_ctx.test_request_context():
        ome = {e.key for e in waiting_entries(user("tenant_admin"))}
        tmg_person = user_of(TMG_CODE, "admin-like@metro.tokyo.example.jp")
        tmg = {e.key for e in waiting_entries(tmg_person)}
        assert (waiting_entries(tmg_person), figure_entries(tmg_person)) == _fresh(tmg_person)
        for who in ("tenant_admin", "other_admin", "curator", "member", "other_member"):
            person = user(who)
            assert (waiting_entries(person), figure_entries(person)) == _fresh(person), who
    assert "procurement.approvals" in ome and "procurement.approvals" not in tmg
