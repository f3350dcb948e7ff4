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
. "$(dirname "$0")/../../scripts/storetest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need /usr/sbin/perfdhcp tcpdump jq
OUTAGE=${PG_OUTAGE:-30}
RATE=500
# commits acknowledged before the crash must survive it
PG_DURABLE=1
pg_start
pg_kea_init
NT_PLEN=16
NT_POOL="198.18.1.0 - 198.18.255.254"
st_server a "$(pg_lease_db) reconnect-wait-time = 500;"

st_outage $RATE "$OUTAGE" 8 22 pg_crash pg_restart
pg_lease4_csv "$NT_TMP/lease4.csv"
st_ackcheck "$ST_PCAP" "$NT_TMP/lease4.csv" "after the outage"
exit 0
