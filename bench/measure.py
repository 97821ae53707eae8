"""wrk runs, the search query's server time, and the cost of row-level security."""
from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional

import psycopg2

from bench.pages import Page
from bench.setup import BenchDatabase
from kernel.begin import BEGIN as BEGIN_IN_FRONT

LUA = os.path.join(os.path.dirname(__file__), "report.lua")


@dataclass
class Result:
    name: str
    path: Optional[str]
    connections: int = 0
    seconds: float = 0.0
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    error_detail: str = ""
    note: str = ""
    measured: bool = True
    statements: int | None = None  # SQL statements of one request (in-process, same data)
    sql_ms: float | None = None  # their summed time, client side
    round_trips: int | None = None  # round trips to PostgreSQL of one request (statements, BEGIN, COMMIT)
    request_ms: float | None = None  # the whole request in-process (no HTTP, no contention with wrk)
    # CPU per request during the measured run (ms of one core): gunicorn (master and workers), PostgreSQL (all
    # its processes), wrk, and everything else on the machine (from /proc; None when not sampled)
    cpu_ms: dict[str, float] | None = None

    @classmethod
    def missing(cls, page: Page) -> Result:
        return cls(page.name, None, note=page.note or "not available", measured=False)

    def ratio(self, ceiling: float) -> float:
        return self.rps / ceiling if ceiling else 0.0

    def line(self, ceiling: float | None = None) -> str:
        if not self.measured:
            return f"{self.name:<34} not measured: {self.note}"
        ratio = f" {self.ratio(ceiling):6.1%} of Jinja ceiling" if ceiling else ""
        return (f"{self.name:<34} {self.rps:8.1f} req/s  p50 {self.p50_ms:7.1f} ms  p95 {self.p95_ms:7.1f} ms  "
                f"p99 {self.p99_ms:7.1f} ms  errors {self.errors}{ratio}")


def preflight(base: str, page: Page, headers: list[str]) -> None:
    """The page must answer 200 with these credentials (a redirect to /login would be a fake success)."""
    import requests

    header = dict([headers[0].split(": ", 1)]) if headers else {}
    response = requests.get(base + (page.path or "/"), headers=header, timeout=30, allow_redirects=False)
    if response.status_code != 200:
        raise RuntimeError(f"{page.name} {page.path}: status {response.status_code} before the benchmark")


class CpuAccount:
    """CPU time (user + system, from /proc) of the gunicorn under test, the benchmark's PostgreSQL and the whole
    machine over one wrk run: where the core time of one request goes. wrk's own comes from os.times().

    A process tree is counted as its root's own time, the time of its children already gone (a backend that
    ended, a restarted worker: the kernel adds it to the parent's when the parent reaps them) and the time of
    the children still running, so a process that ends during the run is neither lost nor counted twice.
    """

    TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")

    def __init__(self, gunicorn_pid: int, postmaster_pid: int | None) -> None:
        self.roots = {"gunicorn": gunicorn_pid, "postgres": postmaster_pid}

    @staticmethod
    def _fields(pid: int) -> list[str]:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                return handle.read().rsplit(")", 1)[1].split()
        except OSError:
            return []

    @classmethod
    def _tree(cls, root: int | None) -> int:
        from bench.__main__ import _children

        if root is None:
            return 0
        fields = cls._fields(root)
        if not fields:
            return 0
        own = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        return own + sum(int(f[11]) + int(f[12]) for f in map(cls._fields, _children(root)) if f)

    @staticmethod
    def _machine() -> int:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
        return sum(fields[:3]) + sum(fields[5:8])  # user nice system, irq softirq steal

    def snapshot(self) -> dict[str, float]:
        times = os.times()
        return {**{name: self._tree(pid) for name, pid in self.roots.items()}, "machine": self._machine(),
                "wrk": (times.children_user + times.children_system) * 1000 / self.TICK_MS}

    def per_request(self, before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
        spent = {key: (after[key] - before[key]) * self.TICK_MS / max(requests, 1) for key in before}
        spent["other"] = spent["machine"] - spent["gunicorn"] - spent["postgres"] - spent["wrk"]
        return spent


def postmaster_pid(pgdata: Any) -> int | None:
    """The benchmark's PostgreSQL server process (the first line of its postmaster.pid)."""
    try:
        with open(os.path.join(str(pgdata), "postmaster.pid")) as handle:
            return int(handle.readline().strip())
    except (OSError, ValueError):
        return None


def run_wrk(wrk: str, base: str, page: Page, credentials: dict[str, list[str]] | None, seconds: int,
            connections: int, timeout: str = "10s", account: CpuAccount | None = None) -> Result:
    headers = (credentials or {}).get(page.auth, []) if page.auth != "none" else []
    preflight(base, page, headers)
    with tempfile.NamedTemporaryFile("w", suffix=".headers", delete=False) as handle:
        handle.write("\n".join(headers))
    env = {**os.environ, "BENCH_HEADERS": handle.name, "BENCH_PATH": page.path or "/"}
    threads = min(2, connections)
    # warm-up (caches, pools, lazy imports) before the measured run
    subprocess.run([wrk, "-t1", "-c2", "-d2s", "-s", LUA, base], env=env, capture_output=True, check=False)
    before = account.snapshot() if account is not None else None
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}",
                          "-s", LUA, base], env=env, capture_output=True, text=True, check=False)
    after = account.snapshot() if account is not None else None
    os.unlink(handle.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed for {page.name}: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(line[len("BENCH_JSON "):])
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    detail = ", ".join(f"{k} {data[k]}" for k in ("connect", "read", "write", "status", "timeout") if data[k])
    duration = data["duration_us"] / 1e6
    result = Result(page.name, page.path, connections, round(duration, 1), data["requests"],
                    data["requests"] / duration if duration else 0.0, data["p50_us"] / 1000, data["p95_us"] / 1000,
                    data["p99_us"] / 1000, errors, detail)
    if account is not None and before is not None and after is not None:
        result.cpu_ms = account.per_request(before, after, data["requests"])
    return result


# --- server time of the application's own SQL ---------------------------------------------------------------

def profile_page(db: BenchDatabase, result: Result, page: Page, judge_email: str | None = None) -> None:
    """Fill in how many SQL statements one request of the page sends and how long they and it take."""
    if not result.measured or page.path is None or page.auth == "none":
        return
    email = judge_email if page.auth == "judge" and judge_email else "bench-member@%"
    runs = [capture_statements(db, page.path, email) for _ in range(3)]
    best = min(runs, key=lambda r: r["request_ms"])
    result.statements = len(best["statements"])
    result.sql_ms = sum(ms for _s, ms in best["statements"])
    result.round_trips = best["round_trips"]
    result.request_ms = best["request_ms"]


def logged_in_client(app: Any, db: BenchDatabase, email_like: str, token_name: str | None = None,
                     lang: str | None = None) -> tuple[Any, str, str | None]:
    """A test client of ``app`` logged in (server session and cookie) as the first person whose e-mail is like
    ``email_like``: (client, their tenant, a new API token named ``token_name`` or None)."""
    from flask import session
    from sqlalchemy import select

    from kernel.extensions import db as sqla
    from tenants.auth import start_session
    from tenants.context import bind_tenant
    from tenants.models import User
    from tenants.tokens import create_token

    tenant, email = db.query("SELECT tenant_id, email FROM users WHERE email LIKE %s ORDER BY tenant_id LIMIT 1",
                             (email_like,))[0]
    client = app.test_client()
    token = None
    with app.test_request_context("/"):
        bind_tenant(tenant)
        user = sqla.session.scalar(select(User).where(User.tenant_id == tenant, User.email == email))
        assert user is not None  # the query above found them
        start_session(user, "dev")
        saved = dict(session)
        if token_name is not None:
            bind_tenant(tenant, user.id)
            _row, token = create_token(user, token_name)
        sqla.session.commit()
        sqla.session.remove()
    if lang is not None:
        saved["lang"] = lang
    with client.session_transaction() as sess:
        sess.update(saved)
    return client, tenant, token


def capture_statements(db: BenchDatabase, path: str, email_like: str = "bench-member@%",
                       forget: Any = None, statements_themselves: bool = False) -> dict[str, Any]:
    """Call a page in-process as a member and capture its SQL (mogrified) with each statement's time.

    A first request warms the app, then the captured request is timed ("request_ms"). With ``forget`` (a function
    emptying what the worker keeps per query), the page is timed once more after it ("fresh_ms"): new to the
    worker, the database's buffers as warm as for the captured request. With ``statements_themselves`` the app
    sees no plan or count function in the database (kernel.kept_plans, kernel.waiting) and sends the statements
    those functions would run, as it does before their migration: what ``rls_cost`` must time (see there)."""
    if statements_themselves:
        with _without_database_functions():
            return capture_statements(db, path, email_like, forget)
    from sqlalchemy import event

    from bench.__main__ import SECRET
    from bench.pages import _app
    from kernel.extensions import db as sqla

    # The load run's secret key: the judge's scoring page is addressed by a keyed-hash code of the entry, built
    # with it (bench/domain_pages.py). Under another key the code names no entry, and the capture measured the
    # audited 404 instead of the page (BENCHMARKS.md at eb89957: "6 statements, 10 round trips").
    app = _app(db, SECRET)
    client, tenant, _token = logged_in_client(app, db, email_like)
    statements: list[tuple[str, float]] = []
    started: dict[int, float] = {}
    trips = RoundTrips()

    with app.app_context():
        engine = sqla.engine

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        trips.before_statement(cursor.connection)
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        elapsed = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        text = cursor.mogrify(statement, parameters).decode() if parameters else statement
        # The transaction's BEGIN rides in front of its first statement (kernel/begin.py): a round trip is
        # counted by RoundTrips, not a statement of the page.
        statements.append((text.removeprefix(BEGIN_IN_FRONT), elapsed * 1000))

    client.get(path)  # warm
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    trips.listen(engine)
    try:
        t0 = time.perf_counter()
        response = client.get(path)
        total = (time.perf_counter() - t0) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        trips.remove(engine)
    fresh = None
    if forget is not None:
        forget()
        t0 = time.perf_counter()
        client.get(path)
        fresh = (time.perf_counter() - t0) * 1000
    with app.app_context():
        sqla.engine.dispose()
    return {"tenant": tenant, "status": response.status_code, "request_ms": total, "statements": statements,
            "round_trips": trips.count, "client": client, "fresh_ms": fresh}


class RoundTrips:
    """Round trips to PostgreSQL, counted at the driver: each statement sent, the BEGIN that psycopg2 sends on its
    own before the first statement of a transaction (unless the connection is in autocommit: the portal's engine
    sends its BEGIN in the same message as that statement, kernel/begin.py), and the COMMIT or ROLLBACK that ends a
    transaction the server had open after the last statement (psycopg2's or the portal's own; none when no
    transaction is open). A deterministic measure, unlike timings on a shared machine."""

    def __init__(self) -> None:
        self.count = 0
        # Per DBAPI connection: whether the server reported a transaction open after its last statement. Read
        # from there rather than at the commit: kernel/begin.py's listener may have ended the transaction first.
        self._open: dict[int, bool] = {}

    def before_statement(self, dbapi_connection: Any) -> None:
        import psycopg2.extensions as ext

        if not dbapi_connection.autocommit and dbapi_connection.status == ext.STATUS_READY:
            self.count += 1  # psycopg2's own BEGIN
        self.count += 1

    def _after(self, _conn: Any, cursor: Any, *_args: Any) -> None:
        import psycopg2.extensions as ext

        dbapi_connection = cursor.connection
        self._open[id(dbapi_connection)] = \
            dbapi_connection.info.transaction_status != ext.TRANSACTION_STATUS_IDLE

    def _ending(self, conn: Any, *_args: Any) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is not None and self._open.pop(id(dbapi_connection), False):
            self.count += 1

    def _reset(self, dbapi_connection: Any, *_args: Any) -> None:
        if self._open.pop(id(dbapi_connection), False):
            self.count += 1  # the pool's rollback on return

    def listen(self, engine: Any) -> None:
        from sqlalchemy import event

        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._ending)
        event.listen(engine, "rollback", self._ending)
        event.listen(engine.pool, "reset", self._reset)

    def remove(self, engine: Any) -> None:
        from sqlalchemy import event

        event.remove(engine, "after_cursor_execute", self._after)
        event.remove(engine, "commit", self._ending)
        event.remove(engine, "rollback", self._ending)
        event.remove(engine.pool, "reset", self._reset)


def _settings(statements: list[str]) -> list[str]:
    """The ``SET LOCAL`` commands a page sent, alone or in front of another statement in the same message."""
    return [part.strip() for s in statements for part in s.split(";") if part.strip().startswith("SET LOCAL")]


# The binding tenants.context sends in front of a transaction's first statement, as mogrified.
_BINDING = re.compile(r"\ASELECT set_config\('app\.tenant_id', '[^']*', true\), "
                      r"set_config\('app\.user_id', '[^']*', true\)(;\s*|\Z)")


def _without_binding(statement: str) -> str:
    """A captured statement without the tenant binding sent in front of it ('' if it was only that)."""
    return _BINDING.sub("", statement, count=1).strip()


@contextlib.contextmanager
def _without_database_functions() -> Iterator[None]:
    """The app finds no plan or count function in the database while this holds (see ``rls_cost``)."""
    from unittest import mock

    from kernel import kept_plans, waiting

    def none(_connection: Any, _prefix: str) -> frozenset[str]:
        return frozenset()

    with mock.patch.object(kept_plans, "database_functions", none), \
            mock.patch.object(waiting, "database_functions", none):
        yield


def _without_settings(statement: str) -> str:
    """A statement without the ``SET LOCAL`` commands sent in front of it ('' if it was only those)."""
    parts = statement.split(";")
    while parts and (parts[0].strip().startswith("SET LOCAL") or not parts[0].strip()):
        parts.pop(0)
    return ";".join(parts).strip()


def explain_ms(cur: Any, sql: str) -> float:
    return explain_ms_buffers(cur, sql)[0]


def explain_ms_buffers(cur: Any, sql: str) -> tuple[float, int]:
    """Server time (planning + execution) and the shared buffers the execution touched (hit or read): the
    buffers do not depend on the machine's load, the time does."""
    cur.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + sql)
    plan = cur.fetchone()[0][0]
    buffers = int(plan["Plan"].get("Shared Hit Blocks", 0)) + int(plan["Plan"].get("Shared Read Blocks", 0))
    return float(plan["Planning Time"] + plan["Execution Time"]), buffers


def _app_role_cursor(db: BenchDatabase, tenant: str) -> tuple[Any, Any]:
    from portal.backup import libpq

    conn = psycopg2.connect(libpq(db.app_url))
    cur = conn.cursor()
    cur.execute("SELECT set_config('app.tenant_id', %s, false)", (tenant,))
    return conn, cur


def search_server_time(db: BenchDatabase) -> dict[str, Any] | None:
    """Server time (planning + execution, EXPLAIN ANALYZE) of the casebook search SQL over many terms."""
    from bench import domain_pages

    spec = domain_pages.search_spec(db)
    if spec is None:
        return None
    timings: list[float] = []
    buffers: list[int] = []
    best: list[float] = []
    from casebook.queries import forget_recent_searches

    request_ms: list[float] = []
    fresh_ms: list[float] = []
    for path in spec["paths"]:
        captured = capture_statements(db, path, forget=forget_recent_searches)
        request_ms.append(captured["request_ms"])
        fresh_ms.append(captured["fresh_ms"])
        # Without the settings sent in front of a statement (applied to the cursor below, as the page does).
        sqls = [_without_settings(s) for s, _ms in captured["statements"] if spec["match"](s)]
        conn, cur = _app_role_cursor(db, captured["tenant"])
        try:
            # The page's own transaction settings (SET LOCAL enable_seqscan = off, sent in front of a
            # statement of the page) apply to its statements.
            for setting in _settings([s for s, _ms in captured["statements"]]):
                cur.execute(setting)
            # A fresh connection's first plan also loads the catalog caches (every index of the table);
            # the portal's pooled connections have them: plan each statement once (no execution) first.
            for sql in sqls:
                cur.execute("EXPLAIN " + sql)
                cur.fetchall()
            measured = [explain_ms_buffers(cur, sql) for sql in sqls]
            timings.append(sum(ms for ms, _b in measured))
            buffers.append(sum(b for _ms, b in measured))
            # Two more runs of each statement: the fastest of the three is the nearest this run gets to
            # an idle machine's figure (on a loaded one the first run's time is mostly waiting for a core).
            best.append(sum(min(ms, *(explain_ms(cur, sql) for _ in range(2))) for sql, (ms, _b) in
                            zip(sqls, measured, strict=True)))
        finally:
            conn.close()
    timings.sort()
    best.sort()
    return {"queries": len(timings), "p50_ms": statistics.median(timings),
            "p95_ms": timings[max(0, int(len(timings) * 0.95) - 1)], "max_ms": timings[-1],
            "request_p50_ms": statistics.median(request_ms), "fresh_p50_ms": statistics.median(fresh_ms),
            "cases": spec.get("cases"),
            "buffers_p50": statistics.median(buffers), "buffers_max": max(buffers),
            "best_of_3_p50_ms": statistics.median(best), "best_of_3_p95_ms": best[max(0, int(len(best) * 0.95) - 1)]}


def _scans(cur: Any, sql: str) -> set[str]:
    """The scan nodes of a statement's plan, e.g. 'Seq Scan on casebook_entries'."""
    cur.execute("EXPLAIN (FORMAT JSON) " + sql)
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Scan" in node.get("Node Type", "") and node.get("Relation Name"):
            found.add(f"{node['Node Type']} on {node['Relation Name']}")
        for child in node.get("Plans", []):
            walk(child)

    walk(cur.fetchone()[0][0]["Plan"])
    return found


def _explain_as(cur: Any, role: str, sql: str) -> float:
    cur.execute(f'SET ROLE "{role}"')
    return explain_ms(cur, sql)


# The same statement executed n times inside the server, timed around the loop: no EXPLAIN
# instrumentation (which counts the rows every plan node passes, and RLS adds nodes), no round trip.
# EXECUTE plans the statement each time, as the portal's unprepared statements are.
_LOOP_FUNCTION = """
    CREATE FUNCTION pg_temp.time_statement(statement text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
    DECLARE started timestamptz := clock_timestamp();
    BEGIN
        FOR i IN 1..n LOOP EXECUTE statement; END LOOP;
        RETURN extract(epoch FROM clock_timestamp() - started) * 1000 / n;
    END $$
"""


def _loop_ratio(cur: Any, sqls: list[str], rounds: int = 20, n: int = 5) -> float:
    """The page's RLS ratio measured without EXPLAIN: a cross-check of the instrumented figure."""
    from bench.setup import APP_ROLE, READER

    cur.execute(_LOOP_FUNCTION)
    sums: dict[str, list[float]] = {APP_ROLE: [], READER: []}
    for round_ in range(rounds):
        order = (APP_ROLE, READER) if round_ % 2 == 0 else (READER, APP_ROLE)
        for role in order:
            cur.execute(f'SET ROLE "{role}"')
            total = 0.0
            for sql in sqls:
                cur.execute("SELECT pg_temp.time_statement(%s, %s)", (sql, n))
                total += cur.fetchone()[0]
            sums[role].append(total)
    return statistics.median(sums[APP_ROLE]) / statistics.median(sums[READER])


def rls_cost(db: BenchDatabase, repeats: int = 100) -> list[dict[str, Any]]:
    """What row-level security costs a page: every statement the page sends (its session check
    included), run as the application role under RLS (tenant bound) and as a BYPASSRLS role without
    it, interleaved statement by statement; the medians of the per-round sums are compared. The worst
    single statement is reported beside it.

    The statements themselves, not the calls of the functions that keep their plans (kernel.kept_plans,
    kernel.waiting): a PL/pgSQL function plans its query again whenever the role changes (a plan made
    under row-level security belongs to its role), so its call, timed with SET ROLE between the sides,
    timed that planning on one side or the other at random (the dashboard's per-round ratios spread
    from 0.16 to 14.5 at a80aed5). Timed as sent before their migrations, each statement is planned on
    every run on both sides: the policies' planning counts too, which a kept plan saves the portal.
    The tenant binding sent in front of a transaction's first statement (tenants.context) is taken
    off: the measuring connection binds the same tenant itself. Before 1ee6415 the statement behind a
    binding was dropped with it, the session check among them.

    Both sides run in ONE server process, switching with SET ROLE: with two connections the two
    backends ran on differently loaded cores, and that alone moved the ratio between 1.02 and 1.56
    from run to run for the same statements. In one process it repeats within a few hundredths.
    """
    from bench import domain_pages
    from bench.setup import APP_ROLE, READER

    results = []
    for name, path in domain_pages.rls_specs(db):
        captured = capture_statements(db, path, statements_themselves=True)
        texts = [_without_binding(s) for s, _ms in captured["statements"]]
        settings = _settings(texts)
        sqls = [rest for s in texts if (rest := _without_settings(s))]
        if not sqls:
            continue
        conn = psycopg2.connect(db.superuser_url)  # one transaction: the page's SET LOCAL settings hold
        cur = conn.cursor()
        # timings[role][i][round]: server time of statement i as that role in that round
        timings: dict[str, list[list[float]]] = {role: [[] for _ in sqls] for role in (APP_ROLE, READER)}
        try:
            cur.execute("SELECT set_config('app.tenant_id', %s, false)", (captured["tenant"],))
            for sql in settings:  # the page's own transaction settings, for both roles
                cur.execute(sql)
            for round_ in range(repeats):
                # Whichever side runs first after a new statement meets colder caches: alternate.
                order = (APP_ROLE, READER) if round_ % 2 == 0 else (READER, APP_ROLE)
                for i, sql in enumerate(sqls):
                    for role in order:
                        timings[role][i].append(_explain_as(cur, role, sql))
            loop_ratio = _loop_ratio(cur, sqls)
            cur.execute(f'SET ROLE "{APP_ROLE}"')
            plans = {"rls": set().union(*(_scans(cur, s) for s in sqls))}
            cur.execute(f'SET ROLE "{READER}"')
            plans["bypass"] = set().union(*(_scans(cur, s) for s in sqls))
        finally:
            conn.close()
        per_rls, per_bypass = timings[APP_ROLE], timings[READER]
        rls_rounds = [sum(column) for column in zip(*per_rls, strict=True)]  # the page's total per round
        bypass_rounds = [sum(column) for column in zip(*per_bypass, strict=True)]
        a, b = statistics.median(rls_rounds), statistics.median(bypass_rounds)
        # The spread of the per-round ratios, so that the report shows how firm the verdict is.
        quartiles = statistics.quantiles((x / y for x, y in zip(rls_rounds, bypass_rounds, strict=True)), n=4)
        statements: list[dict[str, Any]] = []
        for sql, with_rls, without in zip(sqls, per_rls, per_bypass, strict=True):
            x, y = statistics.median(with_rls), statistics.median(without)
            statements.append({"sql": " ".join(sql.split())[:90], "rls_ms": x, "bypass_ms": y,
                               "ratio": x / y if y else float("nan")})
        worst = max(statements, key=lambda st: st["ratio"])
        results.append({"query": name, "statements": len(sqls), "rls_ms": a, "bypass_ms": b,
                        "ratio": a / b if b else float("nan"), "worst": worst,
                        "ratio_p25": quartiles[0], "ratio_p75": quartiles[2], "loop_ratio": loop_ratio,
                        "all": statements,
                        "plan_rls": sorted(plans["rls"] - plans["bypass"]),
                        "plan_bypass": sorted(plans["bypass"] - plans["rls"])})
    return results
