#!/bin/bash
# The Redis lease store goes away under load and Peregrine keeps serving
# (commit mode, on-fail serve-retry-continue): perfdhcp runs DORA at
# RATE/s while tcpdump records every reply; redis-server is killed
# (SIGKILL by pid) for OUTAGE seconds (30) and started again on the same
# port, socket and directory (it reloads its append-only file).
# Meanwhile Peregrine must go on ACKing (into its local journal) at about
# the offered rate, with lease-db-connected 0 and a journal backlog; once
# Redis is back the journal is replayed, and then every (chaddr, yiaddr)
# a DHCPACK gave, before, during and after the outage, is a valid lease
# hash in Redis, the backlog is 0 and the stat counter equals the hashes.
# The store is named by a database number here (name = "2": SELECT 2).
# Then Redis stalls under a heavier load: new transactions are shed while
# the gate is half full, and it never overflows.  About 95 s.  Usage: redis_outage.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/redistest.sh"
. "$(dirname "$0")/../../scripts/storetest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need /usr/sbin/perfdhcp tcpdump jq
OUTAGE=${REDIS_OUTAGE:-30}
RATE=400
redis_start
REDIS_DB=2
NT_PLEN=16
NT_POOL="198.18.1.0 - 198.18.255.254"
st_server a "$(redis_lease_db "$REDIS_DB") reconnect-wait-time = 500;"

st_outage $RATE "$OUTAGE" 6 12 redis_crash redis_restart

redis_lease4_csv "" "$NT_TMP/lease4.csv"
n=$(redis_leases4 "" 1 | wc -l)
c=$(redis_cli GET stat4:1:0)
nt_log "$n valid lease hashes in database $REDIS_DB, stat4:1:0 $c"
[ "$c" = "$n" ] || nt_fail "stat4:1:0 is $c, the hashes say $n"
[ "$(REDIS_DB= redis_cli DBSIZE)" = 0 ] || nt_fail "keys written to database 0"
st_ackcheck "$ST_PCAP" "$NT_TMP/lease4.csv" "after the outage"

# Redis stalls (SIGSTOP: the connection stays up, nothing answers) under
# 2,500 DORA/s: the REQUESTs' replies wait in the gate (commit), and once
# half a lane waits (DP_SHED_PARKED) new DISCOVERs are shed before they
# cost a lease (dp-drop-overload), so the gate never overflows
# (dp-drop-park-full).  Running again (SIGCONT), Redis takes what waited
# and a new client is served.
o0=$(st_ctl_stat "$NT_TMP/a.sock" dp-drop-overload)
f0=$(st_ctl_stat "$NT_TMP/a.sock" dp-drop-park-full)
nt_bg perfdhcp-stall "$NT_CLI" /usr/sbin/perfdhcp -4 -l "$NT_VC" -r 2500 -p 7 -R 1000000 -s 11 \
	-b mac=00:0d:01:00:00:00
pp=$NT_LAST_PID
sleep 1
kill -STOP "$REDIS_PID"
sleep 5
# the control channel answers meanwhile (the shared counts time out)
t0=$SECONDS
st_ctl_stat "$NT_TMP/a.sock" pkt4-ack-sent >/dev/null
t1=$SECONDS
kill -CONT "$REDIS_PID"
nt_wait_exit "$pp" 30
o1=$(st_ctl_stat "$NT_TMP/a.sock" dp-drop-overload)
f1=$(st_ctl_stat "$NT_TMP/a.sock" dp-drop-park-full)
[ $((t1 - t0)) -le 5 ] || nt_fail "statistic-get took $((t1 - t0)) s while Redis stalled"
nt_log "Redis stalled 5 s under 2500 DORA/s: $((o1 - o0)) DISCOVERs shed, gate full $((f1 - f0)) times"
[ $((o1 - o0)) -gt 0 ] || nt_fail "no DISCOVER shed while Redis stalled with replies waiting"
[ $((f1 - f0)) = 0 ] || nt_fail "the gate overflowed $((f1 - f0)) times: shedding came too late"
nt_wait_for 20 "Redis to catch up" st_back
nt_dora --count 1 --mac-base 02:00:00:00:d0:00 >"$NT_TMP/after-stall.txt" ||
	nt_fail "no lease once Redis runs again"
exit 0
