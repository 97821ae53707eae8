"""`python -m bench.profile PATH [--role member|judge] [-n 200]`: where one page's time goes.

Runs the page in-process against the Tokyo bench database (built by `make bench` or
`python -m bench --prepare-only`), under cProfile, and prints the SQL statements one request
sends and the functions that take the time. For the next engineer working on page speed.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

from bench.__main__ import VAR
from bench.measure import capture_statements
from bench.setup import BenchDatabase, schema_fingerprint, start_postgres


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("path")
    parser.add_argument("--email-like", default="bench-member@%",
                        help="whose session (users.email LIKE); the judge's scoring page: the bench's judge, "
                             "'cio@chiyoda.example.jp' (bench-judge@… judges no programme of the bench data)")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=62)
    parser.add_argument("--cases-per-tenant", type=int, default=2000)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args(argv)
    server = start_postgres(VAR / "pgdata")
    db = BenchDatabase.prepare(server, f"yokoten_t{args.tenants}_{args.cases_per_tenant}_{schema_fingerprint()}",
                               args.tenants, args.cases_per_tenant)
    captured = capture_statements(db, args.path, args.email_like)
    print(f"one request: {captured['request_ms']:.2f} ms, {len(captured['statements'])} statements, "
          f"{captured['round_trips']} round trips to PostgreSQL")
    for text, ms in captured["statements"]:
        plan, run = server_times(db, captured["tenant"], text)
        print(f"  {ms:6.2f} ms  (server: planning {plan:.3f} + execution {run:.3f} ms)  {' '.join(text.split())[:120]}")
    client, path = captured["client"], args.path
    for _ in range(20):
        client.get(path)
    # CPU of this process (Python's share; PostgreSQL's is not in it) is steadier than wall time on a
    # shared machine.
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.n):
        client.get(path)
    print(f"{args.n} requests without the profiler: {(time.perf_counter() - wall0) * 1000 / args.n:.2f} ms wall, "
          f"{(time.process_time() - cpu0) * 1000 / args.n:.2f} ms Python CPU each")
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        client.get(path)
    profiler.disable()
    print(f"{args.n} requests: {(time.perf_counter() - t0) * 1000 / args.n:.2f} ms each (under the profiler)")
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    calls = 0
    for (filename, _line, _name), (_cc, ncalls, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        calls += ncalls
        key = filename.split("site-packages/")[1].split("/")[0] if "site-packages/" in filename else \
            ("portal code" if "/work/" in filename or filename.endswith(".html") else filename[:30])
        by_package[key] = by_package.get(key, 0.0) + tottime
    print(f"function calls per request: {calls / args.n:.0f}")
    for key, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {seconds * 1000 / args.n:6.2f} ms  {key}")
    stats.sort_stats(args.sort).print_stats(35)
    return 0


def server_times(db: BenchDatabase, tenant: str, text: str, rounds: int = 15) -> tuple[float, float]:
    """Median planning and execution time (ms) of one captured statement, as the application role with the
    tenant bound: planning is PostgreSQL's CPU on every request too (nothing caches a plan across requests)."""
    import json

    from bench.measure import _app_role_cursor, _without_settings

    statement = _without_settings(text)
    if statement.startswith("SELECT set_config("):  # the binding sent in front of the statement: bind it here
        statement = statement.split("; ", 1)[1] if "; " in statement else ""
    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
        return 0.0, 0.0
    conn, cur = _app_role_cursor(db, tenant)
    try:
        plans, runs = [], []
        for _ in range(rounds):
            cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + statement)
            raw = cur.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            plans.append(plan["Planning Time"])
            runs.append(plan["Execution Time"])
        return sorted(plans)[rounds // 2], sorted(runs)[rounds // 2]
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
