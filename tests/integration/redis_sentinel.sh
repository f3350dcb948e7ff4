#!/bin/bash
# A Redis primary failover, followed through Redis Sentinel: a primary,
# its replica and one redis-sentinel (quorum 1, down-after 2 s) run on
# the server namespace's loopback (Peregrine's), append-only with fsync
# always.  Peregrine's lease-database names only the sentinel, with
# wait-replicas = 1 (a batch is acknowledged once the replica has it).
# Under a bounded perfdhcp load (tcpdump records every reply) the primary
# is killed with SIGKILL; the sentinel promotes the replica; Peregrine
# journals meanwhile, asks the sentinel again on each reconnect and
# replays into the new primary once the old one is back as its replica
# (WAIT needs one).  Then every ACKed (chaddr, yiaddr) is a live lease
# hash of the new primary, and the statistics show the outage and the
# reconnect.
# Usage: redis_sentinel.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/svctest.sh"
. "$(dirname "$0")/../../scripts/storetest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need redis-server redis-sentinel redis-cli /usr/sbin/perfdhcp tcpdump
RATE=200
LOAD_SECS=24
MASTER=leases
nt_topology

# ---- Redis on the server namespace's loopback, each stopped by pid -------
# (nt_bg records every pid; the EXIT trap stops them whatever happens).
# Their files go to a tmpfs when there is one: on a busy disk an fsync
# can stall the primary past down-after and fail it over before the kill
# (a SIGKILL loses nothing that was written, on either).
RD=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "$NT_TMP")/pgt-redis.XXXXXX") ||
	nt_fail "mktemp"
# netns.sh's nt_cleanup calls redis_cleanup once every process is stopped
redis_cleanup() {
	if [ "${NT_KEEP:-0}" = 1 ]; then nt_log "kept $RD"; else rm -rf "$RD"; fi
}
P1=$(svc_port)
P2=$(svc_port)
while [ "$P2" = "$P1" ]; do P2=$(svc_port); done
SP=$(svc_port)
rcli() {
	local port=$1
	shift
	timeout 10 ip netns exec "$NT_SRV" redis-cli -p "$port" "$@"
}
# rs_start NAME PORT [ARGS...]: a redis-server in the foreground (nt_bg)
rs_start() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$RD/$name"
	nt_bg "$name" "$NT_SRV" redis-server --port "$port" --bind 127.0.0.1 --dir "$RD/$name" \
		--save '' --appendonly yes --appendfsync always --repl-diskless-sync no "$@"
	RS_PID=$NT_LAST_PID
	nt_wait_for 10 "$name to answer" rs_pong "$port"
}
rs_pong() { [ "$(rcli "$1" PING 2>/dev/null)" = PONG ]; }
link_up() { rcli "$1" INFO replication | grep -q 'master_link_status:up'; }
# sentinel_start: one sentinel that may fail over alone (quorum 1)
sentinel_start() {
	mkdir -p "$RD/sentinel"
	cat >"$RD/sentinel/sentinel.conf" <<EOF
port $SP
bind 127.0.0.1
dir $RD/sentinel
sentinel monitor $MASTER 127.0.0.1 $P1 1
sentinel down-after-milliseconds $MASTER 2000
sentinel failover-timeout $MASTER 4000
EOF
	nt_bg sentinel "$NT_SRV" redis-sentinel "$RD/sentinel/sentinel.conf"
	SENT_PID=$NT_LAST_PID
}
sentinel_primary() { rcli "$SP" SENTINEL get-master-addr-by-name "$MASTER" 2>/dev/null | tail -1; }
sentinel_names() { [ "$(sentinel_primary)" = "$1" ]; }
sentinel_knows_replica() { rcli "$SP" SENTINEL replicas "$MASTER" 2>/dev/null | grep -qx "$P2"; }

rs_start primary "$P1"
P1_PID=$RS_PID
rs_start replica "$P2" --replicaof 127.0.0.1 "$P1"
nt_wait_for 20 "the replica to sync" link_up "$P2"
sentinel_start
nt_wait_for 20 "the sentinel to name the primary" sentinel_names "$P1"
nt_wait_for 30 "the sentinel to know the replica" sentinel_knows_replica
nt_log "primary $P1_PID port $P1, replica port $P2, sentinel $SENT_PID port $SP"

# ---- Peregrine --------------------------------------------------------------
NT_LEASE_DB="type = \"redis\"; sentinels = ( \"127.0.0.1:$SP\" ); sentinel-master = \"$MASTER\";
	wait-replicas = 1; wait-timeout = 500; connect-timeout = 1; reconnect-wait-time = 200;
	journal-directory = \"$NT_TMP/journal\";"
mkdir -p "$NT_TMP/journal"
NT_PLEN=16
NT_POOL="198.18.1.0 - 198.18.255.254"
nt_server_conf
nt_server_check
nt_server_start
st_load replies "$NT_CLI" "$NT_VC" 7 00:0d:01:00:00:00 $RATE $LOAD_SECS
PCAP="$NT_TMP/replies.pcap" TPID=$T_replies PPID_=$P_replies
sleep 6
before=$(st_stat before pkt4-ack-sent)
[ "$before" -gt $((RATE * 2)) ] || nt_fail "only $before ACKs before the failover"
[ "$(nt_stat lease-db-connected "$NT_TMP/stats.before")" = 1 ] || nt_fail "not connected before"
# (a primary stalled past down-after, e.g. in fsync on a busy disk, would
# have been failed over already: then this run proves nothing)
sentinel_names "$P1" || nt_fail "the sentinel failed over before the kill"

# ---- the primary dies; the sentinel promotes the replica ---------------------
kill -KILL "$P1_PID"
nt_wait_exit "$P1_PID" 10
t0=$SECONDS
nt_log "primary $P1_PID killed (SIGKILL) after $before ACKs"
nt_wait_for 30 "the sentinel to promote the replica" sentinel_names "$P2"
nt_log "the sentinel names port $P2 after $((SECONDS - t0)) s"
# the old primary comes back as the new one's replica, so WAIT can succeed
rs_start old-primary "$P1" --replicaof 127.0.0.1 "$P2"
nt_wait_for 30 "the old primary to replicate the new one" link_up "$P1"
during=$(st_stat during pkt4-ack-sent)
nt_log "$((during - before)) ACKs since the kill"
[ $((during - before)) -gt 0 ] || nt_fail "no ACK after the kill (commit mode must journal)"

nt_wait_exit "$PPID_" $((LOAD_SECS + 20))
sleep 1
nt_stop "$TPID" 5
nt_wait_for 40 "Peregrine to replay its journal into the new primary" st_back
outages=$(nt_stat lease-db-outages "$NT_TMP/stats.back")
reconnects=$(nt_stat lease-db-reconnects "$NT_TMP/stats.back")
nt_log "outages $outages, reconnects $reconnects, replayed" \
	"$(nt_stat lease-db-replayed "$NT_TMP/stats.back"), ACKs $(nt_stat pkt4-ack-sent "$NT_TMP/stats.back")"
[ "$outages" -ge 1 ] || nt_fail "lease-db-outages is 0: the failover went unnoticed"
[ "$reconnects" -ge 1 ] || nt_fail "lease-db-reconnects is 0: no reconnect to the new primary"
sentinel_names "$P2" || nt_fail "the sentinel no longer names port $P2"
[ "$(rcli "$P2" ROLE | head -1)" = master ] || nt_fail "port $P2 is not the primary"

# ---- every ACKed (chaddr, yiaddr) is a live lease hash of the new primary -----
timeout 120 "$NT_PY" "$NT_HELPER" acks "$PCAP" | sort -u >"$NT_TMP/acked.txt"
rcli "$P2" --scan --pattern 'lease4:*' >"$NT_TMP/keys.txt"
sed 's/^/HMGET /; s/$/ hwaddr expire state/' "$NT_TMP/keys.txt" | rcli "$P2" >"$NT_TMP/fields.txt"
now=$(date +%s)
paste -d ' ' "$NT_TMP/keys.txt" - - - <"$NT_TMP/fields.txt" 2>/dev/null >"$NT_TMP/hashes.txt" ||
	nt_fail "reading the lease hashes"
awk -v now="$now" '$3 > now && $4 == 0 {
	sub(/^lease4:/, "", $1); m = $2; mac = ""
	for (i = 1; i <= length(m); i += 2) mac = mac (i > 1 ? ":" : "") substr(m, i, 2)
	print mac, $1 }' "$NT_TMP/hashes.txt" | sort -u >"$NT_TMP/stored.txt"
acked=$(wc -l <"$NT_TMP/acked.txt")
missing=$(comm -23 "$NT_TMP/acked.txt" "$NT_TMP/stored.txt" | wc -l)
comm -23 "$NT_TMP/acked.txt" "$NT_TMP/stored.txt" | head -20 | sed 's/^/MISSING /' >&2
nt_log "acked $acked, live hashes on the new primary $(wc -l <"$NT_TMP/stored.txt"), missing $missing"
[ "$acked" -gt $((RATE * 4)) ] || nt_fail "only $acked ACKs recorded"
[ "$missing" = 0 ] || nt_fail "$missing ACKed lease(s) missing from the new primary"
exit 0
