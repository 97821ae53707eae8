# The two commands of the README. Each does its own set-up (scripts/bootstrap.sh).
.PHONY: run test lint bench faults messages

run:
	@scripts/bootstrap.sh
	@.venv/bin/python -m devtools.devserver

ISOLATION_TESTS = tests/test_rls.py tests/ops/test_pgbouncer.py tests/tenants/test_tenants.py tests/tenants/test_binding.py \
	tests/sso/test_sessions.py \
	tests/casebook/test_cases.py tests/awards/test_conflicts_and_leaks.py

test:
	@scripts/bootstrap.sh --browser
	@.venv/bin/ruff check .
	@.venv/bin/mypy kernel portal tenants casebook procurement awards workload devtools community support
	@.venv/bin/lint-imports
	@# Test files are spread over up to 4 processes (pytest-xdist; each has its own embedded PostgreSQL,
	@# template database and browser); a file stays in one process, so its tests keep their order.
	@.venv/bin/python -m pytest -m "not faults" -n auto --maxprocesses=4 --dist loadfile $(PYTEST_ARGS)
	@# The isolation tests again with every application connection through PgBouncer (transaction pooling).
	@YOKOTEN_PGBOUNCER=1 .venv/bin/python -m pytest -q -p no:cacheprovider $(ISOLATION_TESTS)
	@.venv/bin/python -m pytest -m faults -q -p no:cacheprovider tests/ops

# Fault injection against a live gunicorn (PostgreSQL restart, killed worker, exhausted
# connections, oversized upload); also run by `make test`, about a minute.
faults:
	@scripts/bootstrap.sh
	@.venv/bin/python -m pytest -m faults -v -p no:cacheprovider tests/ops $(PYTEST_ARGS)

# Benchmarks (never part of `make test`): generated data at Tokyo scale, gunicorn as in production,
# wrk on loopback; writes BENCHMARKS.md. BENCH_ARGS="--quick" for a short smoke run.
bench:
	@scripts/bootstrap.sh
	@.venv/bin/python -m bench $(BENCH_ARGS)

lint:
	@.venv/bin/ruff check .
	@.venv/bin/mypy kernel portal tenants casebook procurement awards workload devtools community support
	@.venv/bin/lint-imports

# Re-extract the catalogue template and update every domain's Japanese catalogue.
messages:
	@scripts/messages.sh
