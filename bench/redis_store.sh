#!/bin/bash
# The Redis lease store alone (bench/redis_store_bench.c) against a private
# redis-server on a unix socket (scripts/redistest.sh: appendonly yes,
# appendfsync always unless REDIS_FSYNC says otherwise), stopped by pid.
#
#   bench/redis_store.sh [BUILDDIR [N [BATCH]]]
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$SRC/build}
. "$SRC/scripts/redistest.sh"
redis_start
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), appendfsync ${REDIS_FSYNC:-always}"
"$B/bench/redis_store_bench" "$REDIS_SOCK" "${2:-200000}" "${3:-1024}"
rc=$?
echo "redis-server CPU over the run: $(awk '{ printf "%.2f s", ($14 + $15) / 100 }' /proc/"$REDIS_PID"/stat)"
redis_stop
exit $rc
