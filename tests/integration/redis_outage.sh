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
# About 75 s.  Usage: redis_outage.sh BUILDDIR
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
exit 0
