# shellcheck shell=bash
# A throw-away redis-server for tests (the Redis lease store, issue 15).
# Source it from a bash test (alone, or after scripts/netns.sh):
#
#   . "$SRCDIR/scripts/redistest.sh"
#   redis_start              # a fresh server in a temp dir, waits until it answers
#   redis_cli PING           # one command (redis-cli on its unix socket)
#   redis_stop               # SHUTDOWN NOSAVE, then SIGTERM/SIGKILL by pid; temp dir removed
#
# The server listens on a unix socket ($REDIS_SOCK: a network namespace
# shares the file system, not the loopback) and on 127.0.0.1:$REDIS_PORT
# (a port found free), with appendonly yes and appendfsync always, so an
# acknowledged write is on disk (REDIS_FSYNC=everysec for benchmarks).  Its
# pid is $REDIS_PID, its files in $REDIS_TMP (mktemp under ${TMPDIR:-/tmp}).
# redis_cleanup stops it whatever state it is in and may run more than
# once; redis_start installs `trap redis_cleanup EXIT` when no EXIT trap
# is set (scripts/netns.sh's nt_cleanup calls redis_cleanup when defined).

REDIS_TMP=
REDIS_PID=
REDIS_CLEANED=0

# shellcheck source=scripts/svctest.sh
. "$(dirname "${BASH_SOURCE[0]}")/svctest.sh"
redis_log() { svc_log redistest "$@"; }
redis_die() { svc_die redistest "$@"; }
redis_skip_missing() { svc_skip redistest "$@"; }

# redis_cli ARGS...: one command on the server's socket (bounded).
redis_cli() {
	timeout 20 redis-cli -s "$REDIS_SOCK" "$@"
}

redis_start() {
	local i port
	command -v redis-server >/dev/null || redis_skip_missing "no redis-server (Debian's redis-server)"
	command -v redis-cli >/dev/null || redis_skip_missing "no redis-cli"
	if [ -z "$(trap -p EXIT)" ]; then
		trap redis_cleanup EXIT
		[ -n "$(trap -p INT)" ] || trap 'redis_log interrupted; exit 130' INT
		[ -n "$(trap -p TERM)" ] || trap 'redis_log terminated; exit 143' TERM
	fi
	REDIS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgt-redis.XXXXXX") || redis_die "mktemp"
	REDIS_CLEANED=0
	REDIS_SOCK="$REDIS_TMP/redis.sock"
	for i in 1 2 3 4 5; do
		port=$(svc_port)
		if redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$REDIS_SOCK" \
			--unixsocketperm 700 --dir "$REDIS_TMP" --save '' --appendonly yes \
			--appendfsync "${REDIS_FSYNC:-always}" --daemonize yes \
			--pidfile "$REDIS_TMP/redis.pid" --logfile "$REDIS_TMP/redis.log" \
			>/dev/null 2>&1; then
			REDIS_PORT=$port
			break
		fi
	done
	[ -n "${REDIS_PORT:-}" ] || redis_die "redis-server did not start"
	for i in $(seq 1 100); do
		[ "$(redis_cli PING 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	[ "$(redis_cli PING 2>/dev/null)" = PONG ] || { tail -20 "$REDIS_TMP/redis.log" >&2; redis_die "redis-server does not answer"; }
	REDIS_PID=$(cat "$REDIS_TMP/redis.pid" 2>/dev/null)
	[[ $REDIS_PID =~ ^[0-9]+$ ]] || redis_die "no redis pid"
	redis_log "redis-server $REDIS_PID on $REDIS_SOCK and 127.0.0.1:$REDIS_PORT"
}

# redis_stop: stop the server by pid (SHUTDOWN NOSAVE first, bounded) and
# remove $REDIS_TMP (REDIS_KEEP=1 keeps it).
redis_stop() {
	if [ -n "$REDIS_PID" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
		redis_cli SHUTDOWN NOSAVE >/dev/null 2>&1 || kill -TERM "$REDIS_PID" 2>/dev/null
		svc_gone redistest redis-server "$REDIS_PID" 10
	fi
	REDIS_PID=
	if [ -n "$REDIS_TMP" ] && [ -d "$REDIS_TMP" ] && [ "${REDIS_KEEP:-0}" != 1 ]; then
		rm -rf "$REDIS_TMP"
	fi
	REDIS_TMP=
}

redis_cleanup() {
	local rc=${1:-$?}
	[ "$REDIS_CLEANED" = 1 ] && return "$rc"
	REDIS_CLEANED=1
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$REDIS_TMP" ] && [ -s "$REDIS_TMP/redis.log" ]; then
		echo "----- redis.log (last 20 lines) -----" >&"${NT_LOGFD:-2}"
		tail -n 20 "$REDIS_TMP/redis.log" >&"${NT_LOGFD:-2}"
	fi
	redis_stop
	return "$rc"
}
