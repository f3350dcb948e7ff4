#!/bin/bash
# A private redis-server as the Redis lease store's tests will use it
# (scripts/redistest.sh): started in a temp dir on a unix socket and a
# free loopback port, with appendonly yes / appendfsync always (an
# acknowledged write is on disk), answering; a write survives a restart
# from its append-only file; stopped by pid, its temp dir removed.
# Usage: redis_smoke.sh [BUILDDIR]   (the build dir is not used)
set -u
NT_NAME=redis_smoke
. "$(dirname "$0")/../../scripts/redistest.sh"
fail() { redis_log "FAIL: $*"; exit 1; }

redis_start
[ "$(redis_cli CONFIG GET appendonly | tail -1)" = yes ] || fail "appendonly is not on"
[ "$(redis_cli CONFIG GET appendfsync | tail -1)" = always ] || fail "appendfsync is not always"
[ "$(redis_cli SET peregrine:smoke 42)" = OK ] || fail "SET"
[ "$(redis_cli GET peregrine:smoke)" = 42 ] || fail "GET"
# killed hard, started again on the same directory: the write is back
dir=$REDIS_TMP pid=$REDIS_PID
kill -KILL "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
REDIS_KEEP=1 redis_stop
REDIS_TMP=$dir REDIS_SOCK="$dir/redis.sock"     # so a failure below still cleans up
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --unixsocket "$dir/redis.sock" \
	--unixsocketperm 700 --dir "$dir" --save '' --appendonly yes --appendfsync always \
	--daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null ||
	fail "restart"
for i in $(seq 1 100); do [ "$(redis_cli PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
REDIS_PID=$(cat "$dir/redis.pid")
[ "$(redis_cli GET peregrine:smoke)" = 42 ] || fail "the write did not survive a SIGKILL"
redis_stop
kill -0 "$pid" 2>/dev/null && fail "redis-server $pid still runs"
[ -d "$dir" ] && fail "$dir left behind"
redis_log "PASS"
exit 0
