#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests and print its URL.
# Uses Debian's packaged server binaries; the cluster lives under /tmp and listens on localhost only.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
port="${DERMSTATION_TEST_POSTGRES_PORT:-55432}"
dir=/tmp/dermstation-test-pg
run_as=()
if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
if ! "${run_as[@]}" "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  "${run_as[@]}" "$bindir/initdb" -D "$dir" -U dermstation --auth=trust -E UTF8 >/dev/null
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=localhost -c fsync=off" start >/dev/null
  "${run_as[@]}" "$bindir/createdb" -h localhost -p "$port" -U dermstation dermstation_test
fi
echo "postgresql+psycopg://dermstation@localhost:$port/dermstation_test"
