#!/bin/bash
# The database goes away under load and Peregrine keeps serving (commit
# mode, on-fail serve-retry-continue): perfdhcp runs DORA at 500/s while
# tcpdump records every reply; PostgreSQL is stopped with `pg_ctl stop -m
# immediate` for PG_OUTAGE seconds (30) and started again.  Meanwhile
# Peregrine must go on ACKing (into its local journal) at the offered
# rate; once the database is back the journal is replayed, and then every
# (chaddr, yiaddr) a DHCPACK gave, before, during and after the outage, is
# a valid lease in lease4.
# Usage: pg_outage.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/pgtest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need /usr/sbin/perfdhcp tcpdump jq
OUTAGE=${PG_OUTAGE:-30}
RATE=500
# commits acknowledged before the crash must survive it
PG_DURABLE=1
pg_start
pg_kea_init
NT_LEASE_DB="$(pg_lease_db) reconnect-wait-time = 500;"
NT_PLEN=16
NT_POOL="198.18.1.0 - 198.18.255.254"
nt_topology
SOCK="$NT_TMP/ctl.sock"
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };"
nt_server_conf
nt_server_check
nt_server_start

stat() { nt_server_stats "$NT_TMP/stats.$1" && nt_stat "$2" "$NT_TMP/stats.$1"; }

PCAP="$NT_TMP/replies.pcap"
nt_bg tcpdump "$NT_CLI" "$(command -v tcpdump)" -i "$NT_VC" -n -U -s 0 -w "$PCAP" \
	udp and \( port 67 or port 68 \)
TPID=$NT_LAST_PID
nt_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$NT_TMP/tcpdump.log"
LOAD_SECS=$((OUTAGE + 30))
nt_bg perfdhcp "$NT_CLI" /usr/sbin/perfdhcp -4 -l "$NT_VC" -r $RATE -p $LOAD_SECS -R 16000000 -s 7
PPID_=$NT_LAST_PID
sleep 8
before=$(stat before pkt4-ack-sent)
[ "$before" -gt $((RATE * 4)) ] || nt_fail "only $before ACKs before the outage"
pg_crash
t0=$SECONDS
sleep 3
a1=$(stat during1 pkt4-ack-sent)
[ "$(nt_stat lease-db-connected "$NT_TMP/stats.during1")" = 0 ] ||
	nt_fail "lease-db-connected is not 0 with the database down"
sleep $((OUTAGE - 5))
a2=$(stat during2 pkt4-ack-sent)
backlog=$(nt_stat lease-db-journal-backlog "$NT_TMP/stats.during2")
secs=$((SECONDS - t0 - 3))
nt_log "database down: $((a2 - a1)) ACKs in ${secs} s, journal backlog $backlog"
# the offered rate, give or take the machine's noise
[ $((a2 - a1)) -ge $((RATE * secs * 7 / 10)) ] ||
	nt_fail "only $((a2 - a1)) ACKs in $secs s with the database down (offered $((RATE * secs)))"
[ "$backlog" -gt 0 ] || nt_fail "no journal backlog while the database is down"
sleep $((OUTAGE - (SECONDS - t0)))
pg_restart
back() { [ "$(stat back lease-db-journal-backlog)" = 0 ] &&
	[ "$(nt_stat lease-db-connected "$NT_TMP/stats.back")" = 1 ]; }
nt_wait_for 30 "the journal to be replayed" back
nt_log "replayed $(nt_stat lease-db-replayed "$NT_TMP/stats.back") change(s);" \
	"outages $(nt_stat lease-db-outages "$NT_TMP/stats.back")"
[ "$(nt_stat lease-db-outages "$NT_TMP/stats.back")" = 1 ] || nt_fail "lease-db-outages is not 1"
nt_wait_exit "$PPID_" $((LOAD_SECS + 20))
sleep 1
nt_stop "$TPID" 5
# the last commits after the load
nt_wait_for 10 "the last changes to commit" back

pg_lease4_csv "$NT_TMP/lease4.csv"
timeout 120 "$NT_PY" "$NT_HELPER" ackcheck "$PCAP" "$NT_TMP/lease4.csv" >"$NT_TMP/ackcheck.out" 2>&1
rc=$?
grep MISSING "$NT_TMP/ackcheck.out" | head -20 >&2
tail -1 "$NT_TMP/ackcheck.out" >&2
[ "$rc" = 0 ] || nt_fail "an ACKed lease is missing from lease4 after the outage"
exit 0
