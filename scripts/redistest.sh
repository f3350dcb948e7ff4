# shellcheck shell=bash
# A throw-away redis-server for tests (the Redis lease store, issue 15).
# Source it from a bash test (alone, or after scripts/netns.sh):
#
#   . "$SRCDIR/scripts/redistest.sh"
#   redis_start              # a fresh server in a temp dir, waits until it answers
#   redis_cli PING           # one command (redis-cli on its unix socket)
#   redis_stop               # SHUTDOWN NOSAVE, then SIGTERM/SIGKILL by pid; temp dir removed
#
# For the lease store's tests (docs/redis-notes.md has the key scheme):
#
#   redis_lease_db [NAME]    # a Peregrine lease-database block's keys for this server
#   redis_crash              # SIGKILL by pid (a lost store, as its clients see it)
#   redis_restart            # the same port, socket and dir: the AOF is loaded again
#   redis_leases4 PREFIX     # "mac address" per valid v4 lease hash, sorted
#   redis_leases6 PREFIX     # "duid address" per valid IA_NA lease hash, sorted
#   redis_lease4_csv PREFIX FILE   # the v4 hashes as a Kea lease file (pgtest.py)
#   redis_put4 PREFIX SUBNET SECS  # "address hwaddr" lines on stdin become leases
#                                  # as another server writes them
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

# redis_cli ARGS...: one command on the server's socket (bounded), in
# database $REDIS_DB when set (a lease store named by a number).
redis_cli() {
	timeout 20 redis-cli -s "$REDIS_SOCK" ${REDIS_DB:+-n "$REDIS_DB"} "$@"
}

# redis_spawn PORT: redis-server on PORT, $REDIS_SOCK and $REDIS_TMP
# (daemonized; its pid file is $REDIS_TMP/redis.pid).
redis_spawn() {
	redis-server --port "$1" --bind 127.0.0.1 --unixsocket "$REDIS_SOCK" \
		--unixsocketperm 700 --dir "$REDIS_TMP" --save '' --appendonly yes \
		--appendfsync "${REDIS_FSYNC:-always}" --daemonize yes \
		--pidfile "$REDIS_TMP/redis.pid" --logfile "$REDIS_TMP/redis.log" \
		>/dev/null 2>&1
}

# redis_ready: wait (5 s) until the server answers PING (not while it
# loads its append-only file: it answers LOADING then) and take its pid.
redis_ready() {
	for _ in $(seq 1 100); do
		[ "$(redis_cli PING 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	[ "$(redis_cli PING 2>/dev/null)" = PONG ] || { tail -20 "$REDIS_TMP/redis.log" >&2; redis_die "redis-server does not answer"; }
	REDIS_PID=$(cat "$REDIS_TMP/redis.pid" 2>/dev/null)
	[[ $REDIS_PID =~ ^[0-9]+$ ]] || redis_die "no redis pid"
}

redis_start() {
	local port
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
	for _ in 1 2 3 4 5; do
		port=$(svc_port)
		if redis_spawn "$port"; then
			REDIS_PORT=$port
			break
		fi
	done
	[ -n "${REDIS_PORT:-}" ] || redis_die "redis-server did not start"
	redis_ready
	redis_log "redis-server $REDIS_PID on $REDIS_SOCK and 127.0.0.1:$REDIS_PORT"
}

# redis_crash: SIGKILL the server by pid and wait until it is gone (its
# files stay: what appendfsync always acknowledged is in the AOF).
redis_crash() {
	if [ -z "$REDIS_PID" ] || ! kill -0 "$REDIS_PID" 2>/dev/null; then
		redis_die "redis-server not running"
	fi
	kill -KILL "$REDIS_PID"
	svc_gone redistest redis-server "$REDIS_PID" 10
	REDIS_PID=
	redis_log "redis-server killed (SIGKILL)"
}

# redis_restart: start the stopped server again on its port, socket and
# directory; it loads its append-only file before it answers PING.
redis_restart() {
	if [ -n "$REDIS_PID" ] && kill -0 "$REDIS_PID" 2>/dev/null; then
		redis_die "redis-server still runs"
	fi
	rm -f "$REDIS_TMP/redis.pid"
	redis_spawn "$REDIS_PORT" || { tail -20 "$REDIS_TMP/redis.log" >&2; redis_die "redis-server did not restart"; }
	redis_ready
	redis_log "redis-server $REDIS_PID back on $REDIS_SOCK"
}

# redis_lease_db [NAME]: the keys of a Peregrine lease-database block for
# this server (its unix socket, which a network namespace shares; NAME a
# key prefix or a database number, none by default), the outage journal
# in the test's temp dir.
redis_lease_db() {
	printf 'type = "redis"; socket = "%s"; %sjournal-directory = "%s";' \
		"$REDIS_SOCK" "${1:+name = \"$1\"; }" "${NT_TMP:-$REDIS_TMP}/journal"
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
	[ -n "$REDIS_TMP" ] && svc_log_tail "$rc" redis.log "$REDIS_TMP/redis.log"
	redis_stop
	return "$rc"
}

# ---- the lease store's keys (docs/redis-notes.md) ----

# redis_dump4 PREFIX: every <PREFIX>lease4:* hash, read in one atomic
# script, as "address hwaddr client_id valid_lifetime expire subnet_id
# state" lines (hex as stored, "-" for an empty field).  PREFIX is the key
# prefix as Peregrine writes it ("site1:" for name = "site1"; "" for none).
redis_dump4() {
	# shellcheck disable=SC2016 # Lua
	redis_cli --raw EVAL '
		local out, n = {}, #ARGV[1] + 8
		local function f(x) if x == nil or x == false or x == "" then return "-" end return x end
		for _, k in ipairs(redis.call("KEYS", ARGV[1] .. "lease4:*")) do
			if redis.call("TYPE", k).ok == "hash" then
				local v = redis.call("HMGET", k, "hwaddr", "client_id", "valid_lifetime",
					"expire", "subnet_id", "state")
				out[#out + 1] = string.sub(k, n) .. " " .. f(v[1]) .. " " .. f(v[2]) .. " " ..
					f(v[3]) .. " " .. f(v[4]) .. " " .. f(v[5]) .. " " .. f(v[6])
			end
		end
		return out' 0 "$1"
}

# redis_leases4 PREFIX [SUBNET]: "mac address" per valid lease hash (state
# 0, not expired; of SUBNET when given), sorted, the MAC as aa:bb:...
redis_leases4() {
	redis_dump4 "$1" | awk -v now="$(date +%s)" -v sn="${2:-}" '
		$7 == 0 && $5 > now && (sn == "" || $6 == sn) {
			m = $2; gsub(/../, "&:", m); sub(/:$/, "", m); print m, $1 }' | sort
}

# redis_lease4_csv PREFIX FILE: the v4 lease hashes as a Kea lease file
# (the CSV checkers of tests/integration/pgtest.py read it).
redis_lease4_csv() {
	{
		echo "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
		redis_dump4 "$1" | awk '{
			for (i = 2; i <= 3; i++) { if ($i == "-") $i = ""; gsub(/../, "&:", $i); sub(/:$/, "", $i) }
			printf "%s,%s,%s,%s,%s,%s,0,0,,%s,\n", $1, $2, $3, $4, $5, $6, $7 }'
	} >"$2"
}

# redis_leases6 PREFIX: "duid address" per valid IA_NA lease hash (type 0,
# state 0, not expired), sorted, the DUID as 00:03:...
redis_leases6() {
	# shellcheck disable=SC2016 # Lua
	redis_cli --raw EVAL '
		local out, n = {}, #ARGV[1] + 8
		for _, k in ipairs(redis.call("KEYS", ARGV[1] .. "lease6:*")) do
			if redis.call("TYPE", k).ok == "hash" then
				local v = redis.call("HMGET", k, "duid", "lease_type", "expire", "state")
				out[#out + 1] = string.sub(k, n) .. " " .. tostring(v[1]) .. " " ..
					tostring(v[2]) .. " " .. tostring(v[3]) .. " " .. tostring(v[4])
			end
		end
		return out' 0 "$1" |
		awk -v now="$(date +%s)" '$3 == 0 && $5 == 0 && $4 > now {
			d = $2; gsub(/../, "&:", d); sub(/:$/, "", d); print d, $1 }' | sort
}

# redis_put4 PREFIX SUBNET SECS: each "address hwaddr" line on stdin (the
# MAC with or without colons) becomes a lease of SUBNET valid for SECS
# more seconds, written as another server writes it: the hash, the
# expire4 entry and the stat4 counter, in one MULTI each.  Prints the
# number of leases written.
redis_put4() {
	local now
	now=$(date +%s)
	awk -v p="$1" -v sn="$2" -v secs="$3" -v now="$now" 'NF >= 2 {
		m = tolower($2); gsub(/:/, "", m)
		print "MULTI"
		printf "HSET %slease4:%s hwaddr %s client_id \"\" valid_lifetime %d expire %d subnet_id %d fqdn_fwd 0 fqdn_rev 0 hostname \"\" state 0\n", p, $1, m, secs, now + secs, sn
		printf "ZADD %sexpire4 %d %s\n", p, now + secs, $1
		printf "INCR %sstat4:%d:0\n", p, sn
		print "EXEC" }' | redis_cli >"$REDIS_TMP/put4.out" 2>&1 ||
		redis_die "redis_put4: redis-cli failed"
	grep -qi 'err' "$REDIS_TMP/put4.out" && { head -5 "$REDIS_TMP/put4.out" >&2; redis_die "redis_put4: an error"; }
	awk '$0 == "OK" { n++ } END { print n + 0 }' "$REDIS_TMP/put4.out"
}
