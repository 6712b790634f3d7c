#!/usr/bin/env bash
# Set up (first time) and run every check: ruff, the import-linter layer contracts, the whole test
# suite, on SQLite and on a real PostgreSQL server (started here when none is given).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
if [ -z "${DERMSTATION_TEST_POSTGRES_URL:-}" ]; then
  if url=$(scripts/postgres-for-tests.sh); then
    export DERMSTATION_TEST_POSTGRES_URL="$url"
  else
    echo "warning: no PostgreSQL server could be started; the PostgreSQL variants will fail" >&2
  fi
fi

.venv/bin/ruff check .
.venv/bin/lint-imports
# Several processes where the machine has the cores for it (each starts its own Qt, session fixtures and
# Orthanc; on 2 shared cores that costs more than it gains). DERMSTATION_TEST_WORKERS=0 runs in one process.
workers="${DERMSTATION_TEST_WORKERS:-}"
if [ -z "$workers" ]; then
  if [ "$(nproc)" -ge 4 ]; then workers=auto; else workers=0; fi
fi
.venv/bin/python -m pytest -n "$workers" "$@"
