"""`make bench`: the portal under gunicorn as in production, driven by wrk on loopback with logged-in
sessions, against the framework's own ceiling (bare Flask string, bare Jinja 50 items) on the same
gunicorn settings; search server time at Tokyo and national scale; the cost of row-level security.
Writes BENCHMARKS.md. Every load is bounded in time and only targets 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import CpuAccount, Result, postmaster_pid, rls_cost, run_wrk, search_server_time
from bench.pages import DB_FLOOR_NAME, SSO_KEY, Page, make_credentials, resolve_pages
from bench.report import write_report
from bench.setup import (
    BenchDatabase,
    machine_facts,
    schema_fingerprint,
    start_postgres,
    stop_postgres,
    wait_for_quiet_server,
)

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
SECRET = "bench-secret-key-not-for-production-0123456789"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("==> installing Debian's wrk")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        return shutil.which("wrk") or "wrk"
    sys.exit("wrk is required: apt-get install wrk")


class Gunicorn:
    def __init__(self, app_uri: str, env: dict[str, str], port: int, log: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
        self.app_uri = app_uri
        self.log = log
        self.process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def __enter__(self) -> Gunicorn:
        import requests

        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), self.app_uri],
            cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start: see {self.log}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def memory(self) -> dict[str, Any]:
        """Memory of the master and each worker (MiB): resident now (VmRSS), its peak so far (VmHWM) and
        the proportional share (Pss)."""
        if self.process is None:
            return {}
        return {"master": _memory_of(self.process.pid),
                "workers": [_memory_of(pid) for pid in _children(self.process.pid)]}

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The command name (field 2) is in parentheses and may hold spaces: split after it.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _mib_fields(path: str, keys: tuple[str, ...]) -> dict[str, float]:
    """The "Key:  1234 kB" lines of a /proc file, in MiB (nothing if the process is gone)."""
    values: dict[str, float] = {}
    try:
        for line in Path(path).read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in keys:
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return values


def _memory_of(pid: int) -> dict[str, float]:
    # PSS (proportional share): pages shared between the workers (code, the mmap'd search dictionary)
    # are divided among them, so the workers' sum is what they really take together.
    return {**_mib_fields(f"/proc/{pid}/status", ("VmRSS", "VmHWM")),
            **_mib_fields(f"/proc/{pid}/smaps_rollup", ("Pss",))}


CEILING_PAGES = (("bare Flask (string)", "/string"), ("bare Jinja (50 items)", "/jinja"),
                 (DB_FLOOR_NAME, "/jinja-db"))


def gunicorn_env(args: argparse.Namespace, db: BenchDatabase | None) -> dict[str, str]:
    """gunicorn's settings as in production, and one access line per request for every app measured: the portal
    writes its own JSON line (portal/logging.py; gunicorn's access log stays off, its production default, see
    docs/operations.md), the ceiling apps, which log nothing themselves, gunicorn's line. Both go to a file."""
    env = {"WEB_CONCURRENCY": str(args.workers), "GUNICORN_THREADS": str(args.threads),
           "PORTAL_ENV": "production", "SECRET_KEY": SECRET,
           "SESSION_COOKIE_SECURE": "0", "DB_POOL_SIZE": "5", "DB_MAX_OVERFLOW": "5", "SSO_SECRET_KEY": SSO_KEY}
    if db is not None:
        env.update({"DATABASE_URL": db.app_url, "DATABASE_OWNER_URL": db.owner_url})
    else:
        env["GUNICORN_ACCESS_LOG"] = str(VAR / "access.log")
    return env


def engines(server: Any, tokyo: BenchDatabase) -> list[str]:
    """Groonga beside our search (skipped with a clear line when groonga-bin is not installed)."""
    from bench import domain_pages, groonga

    return groonga.report_lines(groonga.compare(server, tokyo, domain_pages.SEARCH_TERMS))


def search_only(args: argparse.Namespace, server: Any, tokyo: BenchDatabase, argv: list[str] | None) -> int:
    """The search's server time (Tokyo, national with --national) and the Groonga comparison only."""
    from bench.report import update_search_sections

    facts = machine_facts(server, args)
    facts["load_before"] = os.getloadavg()
    search_times = {"tokyo": search_server_time(tokyo)}
    national_facts = None
    if args.national:
        national = BenchDatabase.prepare(server, f"yokoten_national_{args.national_per_tenant}_{schema_fingerprint()}",
                                         1741, args.national_per_tenant)
        national_facts = national.describe()
        search_times["national"] = search_server_time(national)
    facts["engines"] = engines(server, tokyo)
    facts["load_after"] = os.getloadavg()
    update_search_sections(Path(args.output), facts, search_times, national_facts)
    print(json.dumps(search_times, ensure_ascii=False, default=str, indent=1))
    print(f"written: {args.output} (search sections)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--tenants", type=int, default=62)
    parser.add_argument("--cases-per-tenant", type=int, default=2000)
    parser.add_argument("--national", action="store_true", help="also build 1,741 × 500 and time the search there")
    parser.add_argument("--national-per-tenant", type=int, default=500)
    parser.add_argument("--duration", type=int, default=20, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections per page")
    parser.add_argument("--soak", type=int, default=60, help="seconds of the 64-connection run")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prepare-only", action="store_true", help="only build the databases (slow part) and stop")
    parser.add_argument("--search-only", action="store_true",
                        help="only the search figures (server time, Groonga beside ours): rewrites those sections")
    parser.add_argument("--quick", action="store_true", help="smoke run: small data, 3 s per page")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--relevance", action="store_true",
                        help="only the search relevance table (recall@10, MRR per engine): rewrites that section")
    args = parser.parse_args(argv)
    if args.relevance:
        return _relevance(Path(args.output))
    if args.quick:
        args.cases_per_tenant, args.tenants, args.duration, args.soak = 20, 62, 3, 5
        args.output = str(VAR / "BENCHMARKS.quick.md")
    VAR.mkdir(parents=True, exist_ok=True)
    wrk = ensure_wrk()
    started = time.time()
    server = start_postgres(VAR / "pgdata")
    try:
        tokyo = BenchDatabase.prepare(server, f"yokoten_t{args.tenants}_{args.cases_per_tenant}_{schema_fingerprint()}",
                                      args.tenants, args.cases_per_tenant)
        if args.prepare_only:
            if args.national:
                BenchDatabase.prepare(server, f"yokoten_national_{args.national_per_tenant}_{schema_fingerprint()}",
                                      1741, args.national_per_tenant)
            return 0
        if args.search_only:
            return search_only(args, server, tokyo, argv)
        facts = machine_facts(server, args)
        facts["command"] = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
        facts["data"] = tokyo.describe()
        facts["quiet_wait_s"] = wait_for_quiet_server(server)
        facts["load_before"] = os.getloadavg()
        print(f"data: {facts['data']}")

        results: list[Result] = []
        port = 8300
        ceiling_env = {**gunicorn_env(args, None), "BENCH_CEILING_DB": tokyo.reader_url}
        with Gunicorn("bench.ceiling:app", ceiling_env, port, VAR / "gunicorn-ceiling.log") as g:
            for name, path in CEILING_PAGES:
                results.append(run_wrk(wrk, g.url, Page(name, path, "none"), None, args.duration, args.connections,
                                       account=CpuAccount(g.pid, postmaster_pid(server.pgdata))))
                print(results[-1].line())
            facts["memory_ceiling"] = g.memory()
        ceiling = next(r.rps for r in results if r.path == "/jinja")

        credentials = make_credentials(tokyo, SECRET)
        pages = resolve_pages(tokyo, SECRET)
        soak: Result | None = None
        with Gunicorn("wsgi:app", gunicorn_env(args, tokyo), port + 1, VAR / "gunicorn-portal.log") as g:
            for page in pages:
                if page.path is None:
                    results.append(Result.missing(page))
                    continue
                results.append(run_wrk(wrk, g.url, page, credentials, args.duration, args.connections,
                                       account=CpuAccount(g.pid, postmaster_pid(server.pgdata))))
                print(results[-1].line(ceiling))
            facts["memory_pages"] = g.memory()
            target = next((p for p in pages if p.path and p.key == "search"), None) or pages[0]
            soak = run_wrk(wrk, g.url, target, credentials, args.soak, 64, timeout="30s")
            soak.name = f"{target.name} at 64 connections"
            print(soak.line(ceiling))
            facts["memory_soak"] = g.memory()

        with Gunicorn("bench.ceiling:app", gunicorn_env(args, None), port + 2, VAR / "gunicorn-ceiling.log") as g:
            again = run_wrk(wrk, g.url, Page("bare Jinja (50 items), again after the pages", "/jinja", "none"), None,
                            args.duration, args.connections)
            print(again.line())
        facts["ceiling_runs"] = [ceiling, again.rps]
        facts["load_after"] = os.getloadavg()

        from bench import domain_pages
        from bench.measure import profile_page

        judge = next(iter(domain_pages.judges(tokyo, 1)), (None, None))[1]
        for result, page in zip(results[len(CEILING_PAGES):], pages, strict=False):
            profile_page(tokyo, result, page, judge)

        search_times = {"tokyo": search_server_time(tokyo)}
        facts["engines"] = engines(server, tokyo)
        rls = rls_cost(tokyo)
        national_facts = None
        if args.national:
            name = f"yokoten_national_{args.national_per_tenant}_{schema_fingerprint()}"
            national = BenchDatabase.prepare(server, name, 1741, args.national_per_tenant)
            national_facts = national.describe()
            search_times["national"] = search_server_time(national)
        facts["notes"] = [
            "- Every figure comes from this one run. The machine has 2 cores shared by wrk, gunicorn (4 workers) "
            "and PostgreSQL (see the load averages above for any other work); the ceiling apps were measured in "
            "the same conditions, before and after the portal pages.",
            "- The two ceiling pages send no SQL and do no work per request beyond rendering. The third ceiling "
            "row is the bare Jinja page after one SQL statement in its own transaction (a pooled connection, BEGIN, "
            "a primary-key lookup, COMMIT: three round trips to PostgreSQL on the same two cores): no page that "
            "reads the database can be faster. A portal page checks its server-side session in one statement "
            "(session, user, tenant, roles and the header's unread-notification count), with the transaction's "
            "BEGIN and the tenant binding (`set_config(…, true)`) sent in front of it in the same round trip "
            "(kernel/begin.py; the third ceiling row keeps psycopg2's own BEGIN); then its own statements (each a "
            "round trip), its navigation (built once per tenant, roles, page and language per worker), a full "
            "layout in the chosen language, and the COMMIT. The columns \"SQL statements\" and \"round trips\" "
            "count them (round trips at the driver, the COMMIT included); the in-process "
            "column (one request, no HTTP, no concurrent load) shows the whole request's work. "
            "`python -m bench.profile PATH` shows where the time goes.",
            "- HTTP latencies at 16 or 64 connections include queueing for the 4 sync workers.",
            "- CPU per request: the CPU time (user and system, from /proc) that gunicorn's processes, PostgreSQL's "
            "processes, wrk and the rest of the machine spent during a page's measured run, divided by its "
            "requests. With both cores busy, a page's rate is about 2 cores ÷ its CPU per request, so the column "
            "says what a ratio target asks: a page at 30 % of bare Jinja may cost at most bare Jinja's CPU per "
            "request ÷ 0.3. gunicorn's part is the app's Python and gunicorn's own HTTP work; under load a "
            "worker's Python costs more CPU than the same request alone in-process (the in-process column), as "
            "4 workers and PostgreSQL's backends take turns on 2 cores and evict each other's caches at every "
            "round trip.",
            "- Memory: a portal worker's memory is mostly what it loads once (Flask, SQLAlchemy, the message "
            "catalogues, openpyxl and the other imports; SudachiPy's dictionary, partly a read-only file mapping "
            "shared between the workers), not what requests leave behind: growth under load would show as a "
            "difference between the last two rows of the memory table.",
            "- Search server time: the SQL the search page sends (captured in-process), timed by EXPLAIN ANALYZE "
            "as the application role with a tenant bound and the page's own `SET LOCAL enable_seqscan = off`, over "
            "30 different terms. The count and the facets come from one statement, the ranked candidates from "
            "another; both read `casebook_search_rows`, whose 16 partitions are asked in turn under the LIMIT (a "
            "GIN index answers `@@` only with the bitmap of every match in it: a partition bounds that, and its "
            "narrow rows lie together). The buffers column counts the pages the statements touched: unlike the "
            "times, it does not depend on the machine's load.",
            "- Row-level security adds a cost to every table a statement reads under a policy, whatever the "
            "form of the policy: the planner adds the policy's qualifier (some 5–20 µs of planning per table), "
            "and where the statement already filters on the tenant (as the portal's statements do) the policy "
            "becomes a one-time filter in a Result node that every row of the scan passes through (about 20 ns a "
            "row: some 40 µs for a municipality's 2,000 cases). The session check reads three policy tables "
            "(sessions, users, memberships) in one statement: some 10–15 % more under RLS. Other forms of the "
            "policy were tried on this data and rejected: without NULLIF or through a sub-select, the plan and "
            "the cost are the same; `tenant_id = ANY (ARRAY[...])` avoids the "
            "Result node but makes the planner expect 1/62 of the rows, which would mislead it on larger "
            "statements. On pages whose statements take well under a millisecond in all, RLS therefore costs "
            "15–25 % of the SQL time (tens of microseconds); on the search, whose SQL takes milliseconds, it "
            "stays within a few per cent. Either way it is a small part of the whole request, which spends "
            "several milliseconds in Python.",
            "- The RLS ratios are measured in one PostgreSQL process that switches roles (SET ROLE) between the "
            "two sides, and the side that runs first alternates from round to round. Earlier reports used a "
            "connection per role, the RLS side always first: the two backends ran on differently loaded cores "
            "and the first run of each statement met colder caches, which alone moved the dashboard's ratio "
            "between 1.02 and 1.56 from run to run (1.13 in the last report) and gave statements on tables "
            "without any policy ratios up to 1.7. Now a statement without a policy measures 0.96–1.01. The "
            "column \"without EXPLAIN\" times the same statements in a loop inside the server, without EXPLAIN's "
            "per-node row counting (RLS adds nodes, so the instrumentation alone could have inflated the ratio): "
            "where the two columns agree, the cost is PostgreSQL's own work under the policies.",
        ]
        if not args.national:
            facts["notes"].append(
                "- National scale (1,741 municipalities × 500 cases): **not run** in this run: "
                "`python -m bench --national` builds it (about five minutes on this kind of 2-core machine the "
                "first time; later runs reuse it) and times the search there.")
        write_report(Path(args.output), facts, results, soak, ceiling, search_times, rls, national_facts,
                     time.time() - started)
        _relevance(Path(args.output))
        print(json.dumps({"search": search_times, "rls": rls}, ensure_ascii=False, default=str, indent=1))
        print(f"written: {args.output}")
    finally:
        stop_postgres(server)
    return 0


def _relevance(output: Path) -> int:
    # On its own database with only the demo casebook: the generated entries of the load test would
    # crowd every query's first ten with cases nobody judged.
    from bench import groonga, relevance

    binary = groonga.available()
    if binary is None:
        print(f"==> Groonga: not installed ({groonga.INSTALL}); its row of the relevance table is skipped")
        figures = relevance.run_standalone(output)
    else:
        # Groonga answers the same judged queries over its copy of the same 60 cases (bench/groonga.py).
        with groonga.Groonga(binary, VAR / "groonga") as engine:
            engine.create("Corpus")
            engine.load("Corpus", groonga.corpus_records())
            figures = relevance.run_standalone(output, {
                "Groonga (TokenBigram, NFKC with kana unified)": lambda q: engine.search("Corpus", q)})
    for name, groups in figures["engines"].items():
        print(name, {g: (round(x["recall"], 3), round(x["mrr"], 3)) for g, x in groups.items()})
    print(f"written: {output} ({relevance.SECTION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
