#!/usr/bin/env bash
# Set up (first time) and start the DermStation workstation on its embedded defaults:
# SQLite in the user data directory, the bundled models.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/dermstation "$@"
