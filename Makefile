# The two commands of the README. Each does its own set-up (scripts/bootstrap.sh).
.PHONY: run test lint bench messages

run:
	@scripts/bootstrap.sh
	@.venv/bin/python -m portal.devserver

test:
	@scripts/bootstrap.sh --browser
	@.venv/bin/ruff check .
	@.venv/bin/mypy portal tenants casebook procurement awards
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

lint:
	@.venv/bin/ruff check .
	@.venv/bin/mypy portal tenants casebook procurement awards

# Re-extract the catalogue template and update every domain's Japanese catalogue.
messages:
	@scripts/messages.sh
