#!/bin/bash
# Two Peregrine servers as a load-balancing pair (integ-ha_pair's topology
# and timers): the pool split between them by Kea's HA_<server> classes,
# as Kea's documentation asks of a load-balancing pair.
#  - both reach load-balancing; 24 clients are split between the servers
#    by the RFC 3074 hash: each server ACKs some, and each client's address
#    is in the pool of the server whose class its hash gave;
#  - updates go both ways: each server holds all 24 leases the moment the
#    clients have their ACKs;
#  - kill -9 of server2: server1 reaches partner-down and serves every new
#    client (both scopes), none of them an address already held;
#  - server2 restarted syncs and both return to load-balancing with the
#    same lease set.
# Usage: ha_lb.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
HA_POOL="198.18.0.100 - 198.18.0.149\"; client-class = \"HA_server1\"; }, { pool = \"198.18.0.150 - 198.18.0.199\"; client-class = \"HA_server2"
ha_topology
ha_peregrine_pair load-balancing

both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
leases() { ha_lease_list "$@"; }   # "addr mac" per lease, sorted
# the server (1 or 2) whose pool holds address $1
pool_of() { local o=${1##*.}; [ "$o" -lt 150 ] && echo 1 || echo 2; }

nt_wait_for 20 "both servers in load-balancing" both load-balancing
nt_log "both in load-balancing"

ha_dora --count 24 --mac-base 02:00:00:00:1b:00 >"$NT_TMP/dora1.txt" || nt_fail "DORA in load-balancing"
a1=$(ha_statistic 1 pkt4-ack-sent) a2=$(ha_statistic 2 pkt4-ack-sent)
[ "$a1" -gt 0 ] && [ "$a2" -gt 0 ] && [ $((a1 + a2)) = 24 ] ||
	nt_fail "ACKs: server1 $a1, server2 $a2; want both > 0, 24 in all"
n1=$(awk '{print $2}' "$NT_TMP/dora1.txt" | while read -r a; do pool_of "$a"; done | grep -c '^1$')
[ "$n1" = "$a1" ] || nt_fail "$n1 clients got server1's pool, but server1 ACKed $a1"
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" = 24 ] || nt_fail "server1 holds $(wc -l <"$NT_TMP/l1.txt") leases, want 24"
cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "the servers' lease sets differ after the ACKs: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | tr '\n' ' ')"
nt_log "24 clients split $a1/$a2, each server holds all 24 leases"

kill -9 "${HA_PID[2]}"
nt_wait_for 10 "server1 to reach partner-down" eval '[ "$(ha_state 1)" = partner-down ]'
ha_dora --count 12 --mac-base 02:00:00:00:2b:00 >"$NT_TMP/dora2.txt" ||
	nt_fail "server1 did not serve every client in partner-down"
[ "$(ha_statistic 1 pkt4-ack-sent)" = $((a1 + 12)) ] || nt_fail "server1 ACKed $(($(ha_statistic 1 pkt4-ack-sent) - a1)) of 12"
dup=$(cat "$NT_TMP/dora1.txt" "$NT_TMP/dora2.txt" | awk '{print $2}' | sort | uniq -d)
[ -z "$dup" ] || nt_fail "address(es) held by two clients: $dup"
nt_log "partner-down: server1 served all 12 new clients, no address held twice"

wait "${HA_PID[2]}" 2>/dev/null
ha_peregrine_start 2
nt_wait_for 30 "both servers back in load-balancing" both load-balancing
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" = 36 ] && cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "after the sync: server1 $(wc -l <"$NT_TMP/l1.txt"), server2 $(wc -l <"$NT_TMP/l2.txt") leases; want 36 each, the same"
nt_log "server2 synced back; both in load-balancing with the same 36 leases"
nt_stop "${HA_PID[2]}" 15 || nt_fail "server2 exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "server1 exit status $?"
exit 0
