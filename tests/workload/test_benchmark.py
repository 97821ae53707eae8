"""The peer benchmark: what is published, what is suppressed, and what the application role can reach.

The properties are proven against the real SECURITY DEFINER function in PostgreSQL: hypothesis
generates rounds for many municipalities, the function publishes, and every published cell is
checked against the generated truth — never fewer than k contributors, never dominated by one or
two, no subtraction of one published cell from a larger one isolating fewer than k municipalities,
and nothing at all in a suppressed cell.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from tenants.services import read_municipalities

pytestmark = pytest.mark.no_rollback

MUNICIPALITIES = [(row["code"], row["kind"]) for row in read_municipalities() if row["code"] != "130001"]
KIND = {"special_ward": "special_ward", "city": "city", "town": "town_village", "village": "town_village"}
GROUPS = ("madoguchi", "zeimu", "fukushi")
FY = 2040


@pytest.fixture(scope="module")
def owner_engine(app, cluster):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["DATABASE_OWNER_URL"]), poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def app_engine(app, cluster):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), poolclass=NullPool)
    yield engine
    engine.dispose()


def _bind(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})


def _insert_round(conn, tenant: str, figures: dict[str, tuple[Decimal, int]], *, status: str = "closed",  # type: ignore[no-untyped-def]
                  share_benchmark: bool = True, share_with_tmg: bool = False, fiscal_year: int = FY) -> int:
    """A round as a municipality's own rows (written under its binding, as its users would)."""
    _bind(conn, tenant)
    round_id = conn.scalar(text(
        "INSERT INTO workload_rounds (tenant_id, fiscal_year, status, share_benchmark, share_with_tmg) "
        "VALUES (:t, :fy, :s, :b, :m) RETURNING id"),
        {"t": tenant, "fy": fiscal_year, "s": status, "b": share_benchmark, "m": share_with_tmg})
    department = conn.scalar(text("INSERT INTO workload_departments (tenant_id, round_id, name) "
                                  "VALUES (:t, :r, '課') RETURNING id"), {"t": tenant, "r": round_id})
    for group, (hours, cases) in figures.items():
        task = conn.scalar(text("SELECT id FROM workload_standard_tasks WHERE group_code = :g ORDER BY code LIMIT 1"),
                           {"g": group})
        conn.execute(text(
            "INSERT INTO workload_entries (tenant_id, round_id, department_id, standard_task_id, group_code, "
            "hours_per_year, cases_per_year) VALUES (:t, :r, :d, :s, :g, :h, :c)"),
            {"t": tenant, "r": round_id, "d": department, "s": task, "g": group, "h": hours, "c": cases})
    return int(round_id)


def _publish(conn, k: int = 5) -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def,type-arg]
    _bind(conn, "")
    conn.execute(text("SELECT workload_publish_benchmark(:fy, :k)"), {"fy": FY, "k": k})
    rows = conn.execute(text("SELECT * FROM workload_benchmark_cells WHERE fiscal_year = :fy"), {"fy": FY}).mappings()
    return {(r["peer_group"], r["group_code"]): dict(r) for r in rows}


# Hypothesis: generated rounds, published cells checked against the truth ---------------------------

figure = st.tuples(st.decimals(min_value=0, max_value=50_000, places=1), st.integers(min_value=0, max_value=5_000))
participant = st.tuples(st.sampled_from(MUNICIPALITIES), st.booleans(),
                        st.dictionaries(st.sampled_from(GROUPS), figure, min_size=1))
rounds_strategy = st.lists(participant, min_size=0, max_size=24, unique_by=lambda p: p[0][0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=rounds_strategy, k=st.integers(min_value=0, max_value=8))
def test_published_cells_never_reveal_a_municipality(owner_engine, rounds, k) -> None:  # type: ignore[no-untyped-def]
    with owner_engine.connect() as conn:
        trans = conn.begin()
        try:
            for (code, _kind), shared, figures in rounds:
                _insert_round(conn, code, figures, share_benchmark=shared)
            cells = _publish(conn, k)
        finally:
            trans.rollback()
    threshold = max(k, 3)
    # The truth: per peer group and task group, each opted-in municipality's hours, cases, hours per case.
    truth: dict[tuple[str, str], dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    for (code, kind), shared, figures in rounds:
        for group, (hours, cases) in figures.items():
            if shared and hours > 0 and cases > 0:
                for peer in (KIND[kind], "all"):
                    truth[(peer, group)][code] = (hours, cases)
    assert set(cells) == set(truth)  # a cell exists exactly where someone contributes; none elsewhere
    for key, cell in cells.items():
        contributors = truth[key]
        assert cell["min_contributors"] == threshold
        if not cell["published"]:
            assert cell["contributors"] is None and cell["median"] is None and cell["q1"] is None \
                and cell["q3"] is None, "a suppressed cell holds no number"
            continue
        hours = sorted((h for h, _c in contributors.values()), reverse=True)
        assert len(contributors) >= threshold >= 3
        assert cell["contributors"] == len(contributors)
        assert sum(hours[:2]) <= Decimal("0.85") * sum(hours), "(2,85) dominance"
        ratios = sorted(float(h / c) for h, c in contributors.values())
        assert float(cell["median"]) == pytest.approx(statistics.median(ratios), abs=0.006)
        # Subtracting a cell from a larger one: the all-Tokyo cell may be published only when every kind
        # inside it contributes none or at least k municipalities, so (all − kind) never isolates fewer.
        if key[0] == "all":
            for kind in ("special_ward", "city", "town_village"):
                inside = len(truth.get((kind, key[1]), {}))
                assert inside == 0 or inside >= threshold
                difference = len(contributors) - inside
                assert difference == 0 or difference >= threshold


def test_four_peers_are_hidden_five_are_shown_and_one_lone_town_hides_all_tokyo(owner_engine) -> None:  # type: ignore[no-untyped-def]
    cities = [code for code, kind in MUNICIPALITIES if kind == "city"][:5]
    wards = [code for code, kind in MUNICIPALITIES if kind == "special_ward"][:5]
    town = next(code for code, kind in MUNICIPALITIES if kind == "town")
    with owner_engine.connect() as conn, conn.begin() as trans:
        for number, code in enumerate(cities[:4]):
            _insert_round(conn, code, {"madoguchi": (Decimal(1000 + number * 100), 500)})
        four = _publish(conn)
        assert four[("city", "madoguchi")]["published"] is False
        _insert_round(conn, cities[4], {"madoguchi": (Decimal(1400), 500)})
        five = _publish(conn)
        assert five[("city", "madoguchi")]["published"] is True
        assert five[("city", "madoguchi")]["contributors"] == 5
        assert five[("city", "madoguchi")]["median"] == Decimal("2.40")  # 1200 h / 500 cases
        for number, code in enumerate(wards):
            _insert_round(conn, code, {"madoguchi": (Decimal(900 + number * 50), 500)})
        assert _publish(conn)[("all", "madoguchi")]["published"] is True
        # A lone town between the middle values: all-Tokyo minus wards minus cities would give it away.
        _insert_round(conn, town, {"madoguchi": (Decimal(1110), 500)})
        cells = _publish(conn)
        assert cells[("town_village", "madoguchi")]["published"] is False
        assert cells[("all", "madoguchi")]["published"] is False
        assert cells[("all", "madoguchi")]["median"] is None
        trans.rollback()


def test_dominance_hides_a_cell_and_the_minimum_never_drops_below_three(owner_engine) -> None:  # type: ignore[no-untyped-def]
    cities = [code for code, kind in MUNICIPALITIES if kind == "city"][:6]
    with owner_engine.connect() as conn, conn.begin() as trans:
        _insert_round(conn, cities[0], {"zeimu": (Decimal(50_000), 1000)})
        _insert_round(conn, cities[1], {"zeimu": (Decimal(40_000), 1000)})
        for code in cities[2:]:
            _insert_round(conn, code, {"zeimu": (Decimal(1000), 1000)})
        cells = _publish(conn)
        assert cells[("city", "zeimu")]["published"] is False  # two hold 90,000 of 94,000 hours
        conn.execute(text("DELETE FROM workload_benchmark_cells WHERE fiscal_year = :fy"), {"fy": FY})
        assert _publish(conn, k=0)[("city", "zeimu")]["min_contributors"] == 3
        trans.rollback()


def test_opted_out_open_or_other_year_rounds_never_count(owner_engine) -> None:  # type: ignore[no-untyped-def]
    cities = [code for code, kind in MUNICIPALITIES if kind == "city"][:8]
    with owner_engine.connect() as conn, conn.begin() as trans:
        for code in cities[:4]:
            _insert_round(conn, code, {"kosodate": (Decimal(800), 100)})
        _insert_round(conn, cities[4], {"kosodate": (Decimal(800), 100)}, share_benchmark=False)
        _insert_round(conn, cities[5], {"kosodate": (Decimal(800), 100)}, status="open")
        _insert_round(conn, cities[6], {"kosodate": (Decimal(800), 100)}, fiscal_year=FY - 1)
        _insert_round(conn, cities[7], {"kosodate": (Decimal(800), 100)}, share_benchmark=False, share_with_tmg=True)
        assert _publish(conn)[("city", "kosodate")]["published"] is False
        trans.rollback()


# The application role: its own tenant only; the cells read-only; TMG's view only for TMG ------------

def test_application_role_sees_only_its_own_rounds_even_when_others_share(owner_engine, app_engine) -> None:  # type: ignore[no-untyped-def]
    koto, ome = "131083", "132055"
    with owner_engine.connect() as conn, conn.begin():
        _insert_round(conn, koto, {"somu": (Decimal(100), 10)}, share_benchmark=True, share_with_tmg=True)
    try:
        with app_engine.connect() as conn, conn.begin() as trans:
            _bind(conn, ome)
            for table in ("workload_rounds", "workload_departments", "workload_entries"):
                assert conn.scalar(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),  # noqa: S608
                                   {"t": koto}) == 0, table
            assert list(conn.execute(text("SELECT * FROM workload_tmg_shared_figures(:fy)"), {"fy": FY})) == []
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text("INSERT INTO workload_benchmark_cells (fiscal_year, peer_group, group_code, "
                                  "published, min_contributors) VALUES (:fy, 'city', 'somu', true, 3)"), {"fy": FY})
            trans.rollback()
        with app_engine.connect() as conn, conn.begin() as trans:
            _bind(conn, ome)
            with pytest.raises(DBAPIError, match="row-level security"):
                conn.execute(text("INSERT INTO workload_rounds (tenant_id, fiscal_year) VALUES (:t, :fy)"),
                             {"t": koto, "fy": FY + 1})
            trans.rollback()
        with app_engine.connect() as conn, conn.begin() as trans:
            _bind(conn, "130001")  # TMG: the shared figures, only of rounds shared with TMG
            shared = list(conn.execute(text("SELECT tenant_id, group_code, hours, cases "
                                            "FROM workload_tmg_shared_figures(:fy)"), {"fy": FY}))
            assert [(r.tenant_id, r.group_code, r.hours, r.cases) for r in shared] == [(koto, "somu", Decimal(100), 10)]
            assert conn.scalar(text("SELECT count(*) FROM workload_rounds")) == 0
            trans.rollback()
    finally:
        with owner_engine.connect() as conn, conn.begin():
            _bind(conn, koto)
            conn.execute(text("DELETE FROM workload_rounds WHERE tenant_id = :t AND fiscal_year = :fy"),
                         {"t": koto, "fy": FY})


# Two snapshots of the same fixed cells: publishing again never shows a change of fewer than k ------

def _remove_round(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    _bind(conn, tenant)
    for table in ("workload_entries", "workload_departments", "workload_rounds"):
        conn.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": tenant})  # noqa: S608


def _change_figures(conn, tenant: str) -> None:  # type: ignore[no-untyped-def]
    _bind(conn, tenant)
    conn.execute(text("UPDATE workload_entries SET hours_per_year = hours_per_year + 7 WHERE tenant_id = :t"),
                 {"t": tenant})


def _numbers(cell: dict) -> tuple:  # type: ignore[type-arg]
    return cell["contributors"], cell["q1"], cell["median"], cell["q3"]


change = st.sampled_from(("join", "leave", "correct"))
# Cities sharing similar figures in one or two task groups: cells that publish numbers, so that the
# comparison below is put to work in every example (``assume`` refuses an example where it is not).
CITIES = [(code, kind) for code, kind in MUNICIPALITIES if kind == "city"]
city_figure = st.tuples(st.decimals(min_value=500, max_value=1500, places=1), st.integers(min_value=100, max_value=500))
city_round = st.tuples(st.sampled_from(CITIES), st.just(True),
                       st.dictionaries(st.sampled_from(GROUPS[:2]), city_figure, min_size=1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=st.lists(city_round, min_size=8, max_size=20, unique_by=lambda p: p[0][0]),
       newcomers=st.lists(city_round, min_size=4, max_size=4, unique_by=lambda p: p[0][0]),
       changes=st.lists(change, min_size=1, max_size=4), k=st.integers(min_value=3, max_value=5))
def test_two_snapshots_never_differ_by_fewer_than_k_municipalities(owner_engine, rounds, newcomers, changes,  # type: ignore[no-untyped-def]
                                                                    k) -> None:
    """Publish, let fewer than k municipalities join, leave or correct their figures, publish again:
    every cell that shows numbers both times shows the same numbers, so subtracting one snapshot from
    the other isolates nobody."""
    changes = changes[:k - 1]
    present = [p for p in rounds if p[1]]
    taken = {p[0][0] for p in rounds}
    joining = [p for p in newcomers if p[0][0] not in taken]
    with owner_engine.connect() as conn:
        trans = conn.begin()
        try:
            for (code, _kind), shared, figures in rounds:
                _insert_round(conn, code, figures, share_benchmark=shared)
            before = _publish(conn, k)
            for what in changes:
                if what == "join" and joining:
                    (code, _kind), _shared, figures = joining.pop()
                    _insert_round(conn, code, figures)
                elif what == "leave" and present:
                    _remove_round(conn, present.pop()[0][0])
                elif what == "correct" and present:
                    _change_figures(conn, present.pop()[0][0])
            after = _publish(conn, k)
        finally:
            trans.rollback()
    compared = [key for key, cell in after.items()
                if cell["published"] and key in before and before[key]["published"]]
    for key in compared:
        assert _numbers(after[key]) == _numbers(before[key]), key
    assume(compared)


def test_a_cell_moves_once_k_municipalities_joined_and_hides_a_withdrawal(owner_engine) -> None:  # type: ignore[no-untyped-def]
    cities = [code for code, kind in MUNICIPALITIES if kind == "city"][:11]
    with owner_engine.connect() as conn, conn.begin() as trans:
        for number, code in enumerate(cities[:6]):
            _insert_round(conn, code, {"madoguchi": (Decimal(1000 + number * 100), 500)})
        six = _publish(conn)[("city", "madoguchi")]
        assert six["published"] and six["contributors"] == 6 and six["median"] == Decimal("2.50")
        for code in cities[6:10]:  # four join: the cell keeps the numbers of the six
            _insert_round(conn, code, {"madoguchi": (Decimal(3000), 500)})
            assert _numbers(_publish(conn)[("city", "madoguchi")]) == _numbers(six)
        _insert_round(conn, cities[10], {"madoguchi": (Decimal(3000), 500)})  # the fifth: k have joined
        eleven = _publish(conn)[("city", "madoguchi")]
        assert eleven["contributors"] == 11 and eleven["median"] == Decimal("3.00")
        # one withdraws (ten left, still ≥ k): its figure must not stay on show, nor the change show alone
        _remove_round(conn, cities[0])
        withdrawn = _publish(conn)[("city", "madoguchi")]
        assert withdrawn["published"] is False and withdrawn["median"] is None
        # one corrects its figure: hidden as well, until k changes have gathered
        _change_figures(conn, cities[1])
        assert _publish(conn)[("city", "madoguchi")]["published"] is False
        trans.rollback()


def test_the_application_role_cannot_read_the_contributors_of_a_cell(app_engine) -> None:  # type: ignore[no-untyped-def]
    with app_engine.connect() as conn, conn.begin() as trans:
        with pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text("SELECT * FROM workload_benchmark_members"))
        trans.rollback()
