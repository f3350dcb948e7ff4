#!/bin/bash
# Start-up from Redis: N DHCPv4 leases (default 130,000: the test /15 holds
# 131,070) written by bench/redis_store_bench into a private redis-server,
# then Peregrine started on that store in a namespace pair; prints its own
# log line "lease database ...: N records replayed in S s" (the SCAN load
# into the workers' tables) and the time from exec to serving.
#
#   sudo bench/redis_load.sh [BUILDDIR [N]]
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/scripts/netns.sh"
. "$SRC/scripts/redistest.sh"
NT_NAME=redis_load
nt_init "${1:-$SRC/build}" peregrine
N=${2:-130000}
redis_start
"$NT_BUILDDIR/bench/redis_store_bench" "$REDIS_SOCK" "$N" 1024 keep || nt_fail "writing $N leases"
NT_PLEN=15
NT_SUBNET=198.18.0.0/15
NT_POOL="198.18.1.0 - 198.19.255.254"
NT_VALID=86400
nt_topology
NT_LEASE_DB="type = \"redis\"; socket = \"$REDIS_SOCK\"; name = \"bench\"; journal-directory = \"$NT_TMP/journal\";"
nt_server_conf
nt_server_check
t0=$(date +%s.%N)
nt_server_start
t1=$(date +%s.%N)
grep -h "records replayed" "$NT_TMP"/server*.log | sed 's/^.*INFO //'
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "exec to serving (nt_server_start): %.2f s\n", b - a }'
NT_RESULT=pass
