#!/bin/bash
# Runs redis_test (the "redis" lease backend's tests) against private
# servers on loopback, each stopped by pid on exit, pass or fail: a
# primary (scripts/redistest.sh), its replica (for WAIT), a redis-sentinel
# that monitors the primary as "rdt", and a fake sentinel that names the
# replica as the primary (the stale answer of a sentinel mid-failover).
# Usage: redis_test.sh PATH/TO/redis_test
set -u
NT_NAME=redis_backend
. "$(dirname "$0")/../scripts/redistest.sh"
exe=${1:?usage: redis_test.sh PATH/TO/redis_test}
shift

REPL_PID= SENT_PID= FAKE_PID=
rt_cleanup() {
	local rc=$? pid
	for pid in "$FAKE_PID" "$SENT_PID" "$REPL_PID"; do
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null && svc_gone redis_backend "pid" "$pid" 10
	done
	redis_cleanup "$rc"
}
trap rt_cleanup EXIT
trap 'redis_log interrupted; exit 130' INT
trap 'redis_log terminated; exit 143' TERM

# up CMD...: poll (0.05 s) until CMD succeeds, 10 s at most.
up() {
	local i
	for i in $(seq 1 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

redis_start
command -v redis-sentinel >/dev/null || redis_skip_missing "no redis-sentinel"

REPL_SOCK="$REDIS_TMP/replica.sock"
mkdir -p "$REDIS_TMP/replica" "$REDIS_TMP/sentinel"
for i in 1 2 3 4 5; do
	port=$(svc_port)
	if redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$REPL_SOCK" \
		--unixsocketperm 700 --dir "$REDIS_TMP/replica" --save '' --appendonly yes \
		--replicaof 127.0.0.1 "$REDIS_PORT" --daemonize yes \
		--pidfile "$REDIS_TMP/replica/redis.pid" --logfile "$REDIS_TMP/replica/redis.log" \
		>/dev/null 2>&1 && up test -s "$REDIS_TMP/replica/redis.pid"; then
		REPL_PORT=$port
		break
	fi
done
REPL_PID=$(cat "$REDIS_TMP/replica/redis.pid" 2>/dev/null)
[[ $REPL_PID =~ ^[0-9]+$ ]] || redis_die "the replica did not start"
link_up() { timeout 5 redis-cli -s "$REPL_SOCK" INFO replication | grep -q 'master_link_status:up'; }
up link_up || redis_die "the replica did not connect to the primary"

for i in 1 2 3 4 5; do
	port=$(svc_port)
	cat >"$REDIS_TMP/sentinel/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
daemonize yes
pidfile $REDIS_TMP/sentinel/sentinel.pid
logfile $REDIS_TMP/sentinel/sentinel.log
dir $REDIS_TMP/sentinel
sentinel monitor rdt 127.0.0.1 $REDIS_PORT 1
sentinel down-after-milliseconds rdt 60000
requirepass rdt-sentinel-pw
EOF
	if redis-sentinel "$REDIS_TMP/sentinel/sentinel.conf" >/dev/null 2>&1 &&
		up test -s "$REDIS_TMP/sentinel/sentinel.pid"; then
		SENT_PORT=$port
		break
	fi
done
SENT_PID=$(cat "$REDIS_TMP/sentinel/sentinel.pid" 2>/dev/null)
[[ $SENT_PID =~ ^[0-9]+$ ]] || redis_die "redis-sentinel did not start"
sent_up() { [ "$(REDISCLI_AUTH=rdt-sentinel-pw timeout 5 redis-cli -p "$SENT_PORT" SENTINEL get-master-addr-by-name rdt | tail -1)" = "$REDIS_PORT" ]; }
up sent_up || redis_die "the sentinel does not name the primary"

# The fake sentinel answers every command with the replica's address.
/usr/bin/python3 -c '
import socket, sys
port = sys.argv[2].encode()
ans = b"*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%s\r\n" % (len(port), port)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        while c.recv(4096):
            c.sendall(ans)
    except OSError:
        pass
    c.close()
' "$REDIS_TMP/fake.port" "$REPL_PORT" </dev/null >/dev/null 2>&1 &
FAKE_PID=$!
up test -s "$REDIS_TMP/fake.port" || redis_die "the fake sentinel did not start"
redis_log "replica $REPL_PID port $REPL_PORT, sentinel $SENT_PID port $SENT_PORT," \
	"fake sentinel $FAKE_PID port $(cat "$REDIS_TMP/fake.port")"

RDT_SOCK=$REDIS_SOCK RDT_PORT=$REDIS_PORT RDT_REPL_SOCK=$REPL_SOCK RDT_REPL_PORT=$REPL_PORT \
	RDT_SENTINEL="127.0.0.1:$SENT_PORT" RDT_FAKE_SENTINEL="127.0.0.1:$(cat "$REDIS_TMP/fake.port")" \
	"$exe" "$@"
rc=$?
redis_log "redis_test exited $rc"
exit $rc
