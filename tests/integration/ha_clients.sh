#!/bin/bash
# Real clients against a hot-standby pair of Peregrines (integ-ha_pair's
# topology): ISC dhclient and perfdhcp on the clients' bridge.
#  - dhclient is BOUND to an address of the pool by the primary (the
#    server identifier of its ACK), and the standby holds that lease for
#    dhclient's MAC;
#  - perfdhcp (a relay at 198.18.0.2, 100 clients at 50/s, its own
#    uniqueness check) gets its ACKs with no address given twice, and both
#    servers hold the same lease set.
# The same clients against a load-balancing pair: integ-ha_lb.
# Usage: ha_clients.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq /usr/sbin/dhclient /usr/sbin/perfdhcp
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology
ha_peregrine_pair hot-standby
both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
nt_wait_for 20 "both servers in hot-standby" both hot-standby

ha_dhclient
IP=$HA_DHC_IP
case $IP in
198.18.0.1[0-9][0-9] | 198.18.0.2[0-4][0-9] | 198.18.0.250) ;;
*) nt_fail "dhclient's address '$IP' is not in the pool" ;;
esac
[ "$HA_DHC_SID" = "${HA_IP[1]}" ] || nt_fail "dhclient's ACK came from $HA_DHC_SID, not the primary"
[ "$(ha_lease_hw 2 "$IP")" = "$HA_DHC_MAC" ] ||
	nt_fail "the standby does not hold dhclient's lease $IP for $HA_DHC_MAC"
nt_log "dhclient bound $IP from the pair; the standby holds it"

ha_perfdhcp 100 50 7
RECV_R=$HA_PERF_ACKS
ha_lease_list 1 >"$NT_TMP/l1.txt"
ha_lease_list 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" -ge 91 ] && cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "lease sets: primary $(wc -l <"$NT_TMP/l1.txt"), standby $(wc -l <"$NT_TMP/l2.txt"), want the same >= 91"
[ -z "$(awk '{print $1}' "$NT_TMP/l2.txt" | uniq -d)" ] || nt_fail "an address with two leases"
nt_log "perfdhcp: $RECV_R ACKs, no address twice; both servers hold the same $(wc -l <"$NT_TMP/l1.txt") leases"
nt_stop "${HA_PID[2]}" 15 || nt_fail "standby exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "primary exit status $?"
exit 0
