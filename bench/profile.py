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
    parser.add_argument("--email-like", default="bench-member@%")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=62)
    parser.add_argument("--cases-per-tenant", type=int, default=2000)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args(argv)
    server = start_postgres(VAR / "pgdata")
    db = BenchDatabase.prepare(server, f"yokoten_t{args.tenants}_{args.cases_per_tenant}_{schema_fingerprint()}",
                               args.tenants, args.cases_per_tenant)
    captured = capture_statements(db, args.path, args.email_like)
    print(f"one request: {captured['request_ms']:.2f} ms, {len(captured['statements'])} statements")
    for text, ms in captured["statements"]:
        print(f"  {ms:6.2f} ms  {' '.join(text.split())[:160]}")
    client, path = captured["client"], args.path
    for _ in range(20):
        client.get(path)
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        client.get(path)
    profiler.disable()
    print(f"{args.n} requests: {(time.perf_counter() - t0) * 1000 / args.n:.2f} ms each (under the profiler)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(35)
    return 0


if __name__ == "__main__":
    sys.exit(main())
