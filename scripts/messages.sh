#!/usr/bin/env bash
# Extract each domain package's messages and update its Japanese catalogue.
# Usage: scripts/messages.sh [package ...]   (default: every package)
set -euo pipefail
cd "$(dirname "$0")/.."
packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(kernel portal tenants casebook procurement awards workload community support)
for pkg in "${packages[@]}"; do
  dir="$pkg/translations"
  mkdir -p "$dir"
  .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location \
    --sort-output -o "$dir/messages.pot" "$pkg" >/dev/null 2>&1
  if [ -f "$dir/ja/LC_MESSAGES/messages.po" ]; then
    .venv/bin/pybabel update --no-fuzzy-matching -i "$dir/messages.pot" -d "$dir" -l ja >/dev/null
  else
    .venv/bin/pybabel init -i "$dir/messages.pot" -d "$dir" -l ja >/dev/null
  fi
done
