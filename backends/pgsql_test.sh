#!/bin/bash
# Runs pgsql_test (the "postgresql" lease backend's tests) against a
# private PostgreSQL 15 with Kea 2.2's schema: scripts/pgtest.sh starts it
# once for the whole program and stops it by pid on exit, pass or fail.
# A second, empty database (no Kea tables) is made for the schema check.
# Usage: pgsql_test.sh PATH/TO/pgsql_test [--bench]
set -u
NT_NAME=pgsql_backend
. "$(dirname "$0")/../scripts/pgtest.sh"
exe=${1:?usage: pgsql_test.sh PATH/TO/pgsql_test [--bench]}
shift

pg_start
pg_kea_init
pg_super "CREATE DATABASE \"${PG_DB}_empty\" OWNER \"$PG_USER\"" >/dev/null ||
	pg_die "CREATE DATABASE ${PG_DB}_empty"

PGT_HOST=$PG_SOCK PGT_PORT=$PG_PORT PGT_USER=$PG_USER PGT_PASS=$PG_PASS \
	PGT_DB=$PG_DB PGT_DB_EMPTY=${PG_DB}_empty "$exe" "$@"
rc=$?
pg_log "pgsql_test exited $rc"
exit $rc
