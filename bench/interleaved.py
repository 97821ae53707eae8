"""`python -m bench.interleaved [--rounds 2 --seconds 5]`: each page's ratio to the bare Jinja page, with the
two measured in turn (a few seconds each, alternating) while both servers run.

On a shared machine the load of other work changes from minute to minute, and `make bench` measures the
ceiling only before and after all the pages: a page measured in a busy minute against a ceiling measured
in a quiet one shows a ratio that says more about the neighbours than about the page. Alternating short
runs puts each page and its ceiling under nearly the same load; the ratio is the median over the rounds.
Uses the Tokyo bench database (built by `make bench` or `python -m bench --prepare-only`).
"""
from __future__ import annotations

import argparse
import statistics
import sys

from bench.__main__ import SECRET, VAR, Gunicorn, ensure_wrk, gunicorn_env
from bench.measure import run_wrk
from bench.pages import Page, make_credentials, resolve_pages
from bench.setup import BenchDatabase, schema_fingerprint, start_postgres, stop_postgres


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interleaved")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    server = start_postgres(VAR / "pgdata")
    try:
        tokyo = BenchDatabase.prepare(server, f"yokoten_t62_2000_{schema_fingerprint()}", 62, 2000)
        credentials = make_credentials(tokyo, SECRET)
        pages = [p for p in resolve_pages(tokyo, SECRET) if p.path]
        jinja = Page("bare Jinja (50 items)", "/jinja", "none")
        ceiling_env = {**gunicorn_env(args, None), "BENCH_CEILING_DB": tokyo.reader_url}
        with Gunicorn("bench.ceiling:app", ceiling_env, 8310, VAR / "gunicorn-ceiling.log") as ceiling, \
                Gunicorn("wsgi:app", gunicorn_env(args, tokyo), 8311, VAR / "gunicorn-portal.log") as portal:
            for page in pages:
                ratios, rates, ceilings = [], [], []
                for _ in range(args.rounds):
                    top = run_wrk(wrk, ceiling.url, jinja, None, args.seconds, args.connections).rps
                    rate = run_wrk(wrk, portal.url, page, credentials, args.seconds, args.connections).rps
                    ratios.append(rate / top if top else 0.0)
                    rates.append(rate)
                    ceilings.append(top)
                print(f"| {page.name} | {statistics.median(rates):,.1f} | {statistics.median(ceilings):,.1f} | "
                      f"{statistics.median(ratios):.1%} | {min(ratios):.1%}–{max(ratios):.1%} |", flush=True)
    finally:
        stop_postgres(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
