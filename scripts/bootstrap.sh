#!/usr/bin/env bash
# Idempotent set-up shared by `make run` and `make test`: virtualenv, dependencies, browser,
# compiled message catalogues. Safe to run on every invocation; does real work only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser="${1:-}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi

stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing dependencies (pyproject.toml changed or first run)"
  log=".venv/pip-install.log"
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[dev]"; } >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "!! dependency installation failed (full log: $log)" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The certified OpenID provider of tests/sso/test_node_provider.py (npm's oidc-provider, issue 23.9):
# `npm ci` from its lock file when Node.js is there, again only when the lock file changes. Without node
# or npm (or when npm ci fails) those tests skip and say why; nothing else depends on it.
if command -v npm >/dev/null 2>&1 && [ -f tests/sso/node_op/package-lock.json ]; then
  node_stamp="tests/sso/node_op/node_modules/.installed-$(sha256sum tests/sso/node_op/package-lock.json | cut -c1-16)"
  if [ ! -f "$node_stamp" ]; then
    echo "==> installing the test OpenID provider (npm ci in tests/sso/node_op)"
    if (cd tests/sso/node_op && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) >.venv/npm-install.log 2>&1; then
      touch "$node_stamp"
    else
      tail -20 .venv/npm-install.log >&2
      echo "!! npm ci failed in tests/sso/node_op (log: .venv/npm-install.log): the oidc-provider tests will skip" >&2
    fi
  fi
fi

if [ "$want_browser" = "--browser" ]; then
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "==> installing Debian's chromium and fonts-noto-cjk"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
      echo "!! /usr/bin/chromium or fonts-noto-cjk missing and not root: install them (apt-get install chromium fonts-noto-cjk)" >&2
      exit 1
    fi
  fi
fi

# The operations tests use Debian's PostgreSQL 15 (a second major version beside the embedded one:
# restores with the target server's own tools, point-in-time recovery), PgBouncer (the isolation
# tests in transaction pooling) and age (encrypted backups).
if [ "$want_browser" = "--browser" ]; then
  if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v age >/dev/null || [ ! -x /usr/sbin/pgbouncer ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "==> installing Debian's postgresql-15, pgbouncer and age"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 pgbouncer age >/dev/null
    else
      echo "!! postgresql-15, pgbouncer or age missing and not root: apt-get install postgresql-15 pgbouncer age" >&2
      exit 1
    fi
  fi
fi

# Compile every domain's message catalogue (.mo files are build output, not committed).
for po in $(find kernel portal tenants casebook procurement awards workload community support -path '*/translations/*/LC_MESSAGES/*.po' 2>/dev/null); do
  mo="${po%.po}.mo"
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    .venv/bin/pybabel compile -i "$po" -o "$mo" >/dev/null 2>&1
  fi
done
