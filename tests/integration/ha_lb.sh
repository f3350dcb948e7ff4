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
#    same lease set;
#  - real clients against the pair (when ISC dhclient and perfdhcp are
#    there): dhclient is BOUND, its address from the pool of the server
#    whose ACK it took (the server identifier); perfdhcp's 100 clients
#    (a relay, 50/s, its own uniqueness check) get their ACKs with no
#    address twice; both servers then hold the same lease set, every new
#    lease in it, and each server's ACKs match the new leases of its
#    pool: no server gave an address of its partner's pool.
# Usage: ha_lb.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
HA_POOL="198.18.0.20 - 198.18.0.129\"; client-class = \"HA_server1\"; }, { pool = \"198.18.0.130 - 198.18.0.239\"; client-class = \"HA_server2"
ha_topology
ha_peregrine_pair load-balancing

both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
leases() { ha_lease_list "$@"; }   # "addr mac" per lease, sorted
# the server (1 or 2) whose pool holds address $1
pool_of() { local o=${1##*.}; [ "$o" -lt 130 ] && echo 1 || echo 2; }

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

ha_kill_wait 2 "server1 to reach partner-down" eval '[ "$(ha_state 1)" = partner-down ]'
ha_dora --count 12 --mac-base 02:00:00:00:2b:00 >"$NT_TMP/dora2.txt" ||
	nt_fail "server1 did not serve every client in partner-down"
[ "$(ha_statistic 1 pkt4-ack-sent)" = $((a1 + 12)) ] || nt_fail "server1 ACKed $(($(ha_statistic 1 pkt4-ack-sent) - a1)) of 12"
ha_no_dup "" "$NT_TMP/dora1.txt" "$NT_TMP/dora2.txt"
nt_log "partner-down: server1 served all 12 new clients, no address held twice"

wait "${HA_PID[2]}" 2>/dev/null
ha_peregrine_start 2
nt_wait_for 30 "both servers back in load-balancing" both load-balancing
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" = 36 ] && cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "after the sync: server1 $(wc -l <"$NT_TMP/l1.txt"), server2 $(wc -l <"$NT_TMP/l2.txt") leases; want 36 each, the same"
nt_log "server2 synced back; both in load-balancing with the same 36 leases"

if [ -x /usr/sbin/dhclient ] && [ -x /usr/sbin/perfdhcp ]; then
	cp "$NT_TMP/l1.txt" "$NT_TMP/before.txt"
	a1=$(ha_statistic 1 pkt4-ack-sent) a2=$(ha_statistic 2 pkt4-ack-sent)
	ha_dhclient
	n=$((${HA_DHC_SID##*.} - 10))
	[ "$HA_DHC_SID" = "${HA_IP[$n]}" ] 2>/dev/null ||
		nt_fail "dhclient's server identifier '$HA_DHC_SID' is neither server"
	[ "$(pool_of "$HA_DHC_IP")" = "$n" ] ||
		nt_fail "dhclient got $HA_DHC_IP from server$n, an address of the other's pool"
	[ "$(ha_lease_hw $((3 - n)) "$HA_DHC_IP")" = "$HA_DHC_MAC" ] ||
		nt_fail "server$((3 - n)) does not hold dhclient's lease $HA_DHC_IP for $HA_DHC_MAC"
	nt_log "dhclient bound $HA_DHC_IP from server$n (its pool); server$((3 - n)) holds it"
	ha_perfdhcp 100 50 11
	leases 1 >"$NT_TMP/l1.txt"
	leases 2 >"$NT_TMP/l2.txt"
	cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
		nt_fail "the servers' lease sets differ after perfdhcp: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | head -5 | tr '\n' ' ')"
	[ -z "$(awk '{print $1}' "$NT_TMP/l1.txt" | uniq -d)" ] || nt_fail "an address with two leases"
	# the new leases (dhclient's and perfdhcp's), per pool, against each
	# server's ACKs meanwhile
	comm -13 "$NT_TMP/before.txt" "$NT_TMP/l1.txt" | awk '{print $1}' >"$NT_TMP/new.txt"
	new=$(wc -l <"$NT_TMP/new.txt")
	[ "$new" -ge $((HA_PERF_ACKS + 1)) ] ||
		nt_fail "$new new leases on both servers, fewer than the $((HA_PERF_ACKS + 1)) ACKs"
	p1=$(while read -r a; do pool_of "$a"; done <"$NT_TMP/new.txt" | grep -c '^1$')
	d1=$(($(ha_statistic 1 pkt4-ack-sent) - a1)) d2=$(($(ha_statistic 2 pkt4-ack-sent) - a2))
	[ "$d1" -gt 0 ] && [ "$d2" -gt 0 ] && [ "$p1" = "$d1" ] && [ $((new - p1)) = "$d2" ] ||
		nt_fail "new leases in server1's pool $p1, server2's $((new - p1)); ACKs server1 $d1, server2 $d2"
	nt_log "perfdhcp: $HA_PERF_ACKS ACKs, no address twice; both hold the same $(wc -l <"$NT_TMP/l1.txt") leases; ACKs $d1/$d2 match the pools"
else
	nt_log "no /usr/sbin/dhclient or /usr/sbin/perfdhcp: the real clients' part is skipped"
fi
nt_stop "${HA_PID[2]}" 15 || nt_fail "server2 exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "server1 exit status $?"
exit 0
