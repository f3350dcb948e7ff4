#!/bin/bash
# Two Peregrine servers as a hot-standby pair over the real peer link:
# clients on a bridge, each server's DPDK port on it, the HA link on a
# veth pair of its own (scripts/hatest.sh).  Timers 200/600/100 ms.
#  - both reach hot-standby; the primary answers the clients, the standby
#    (no scope) does not: the ACKs are counted on the primary only;
#  - lease updates: each ACK waits for the standby's acknowledgement, so
#    the moment a client has its lease the standby holds it too (asked
#    at once, no waiting); both servers start from the same pool, so a
#    standby that did not know them would hand out the same addresses;
#  - with the standby stopped (SIGSTOP) the primary sends no ACK: the
#    update fails at max-response-delay and the reply is dropped;
#  - kill -9 of the primary: the standby reaches partner-down and serves
#    new clients itself, none of them an address the primary gave: no
#    address held twice;
#  - the primary restarted syncs from the standby and both return to
#    hot-standby with the same lease set; a lease given after that reaches
#    the standby again;
#  - the operator's commands: ha-sync brings a lease the standby got by a
#    control command (never sent to the partner); ha-scopes makes the
#    standby answer the primary's scope.
# Usage: ha_pair.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology
ha_peregrine_pair hot-standby

both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
is() { [ "$(ha_state "$1")" = "$2" ]; }
acks() { ha_statistic "$1" pkt4-ack-sent; }
leases() { ha_lease_list "$@"; }   # "addr mac" per lease, sorted
nt_wait_for 20 "both servers in hot-standby" both hot-standby
nt_log "both in hot-standby"

ha_dora --count 3 --mac-base 02:00:00:00:aa:00 >"$NT_TMP/dora1.txt" || nt_fail "no lease in hot-standby"
[ "$(acks 1)" = 3 ] && [ "$(acks 2)" = 0 ] ||
	nt_fail "ACKs: primary $(acks 1), standby $(acks 2); want 3 and 0"
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" = 3 ] || nt_fail "the primary holds $(wc -l <"$NT_TMP/l1.txt") leases, want 3"
cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "the standby does not hold the primary's leases once the clients have them: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | tr '\n' ' ')"
nt_log "the standby holds the primary's 3 leases as the clients get their ACKs"

# The ACK waits for the standby's acknowledgement: with the standby
# stopped, no ACK leaves; the update fails at max-response-delay and the
# reply is dropped (counted), as Kea drops it.
ha_no_ack_stopped 1 2 02:00:00:00:dd:00 "the standby"
nt_wait_for 30 "both servers back in hot-standby after the stop" both hot-standby
nt_log "no ACK while the standby was stopped; both back in hot-standby"

ha_kill_wait 1 "the standby to reach partner-down" is 2 partner-down
ha_dora --count 3 --mac-base 02:00:00:00:bb:00 >"$NT_TMP/dora2.txt" ||
	nt_fail "the standby did not serve in partner-down"
read -r mac addr _ <"$NT_TMP/dora2.txt"
[ "$(acks 2)" = 3 ] || nt_fail "the standby's ACKs: $(acks 2), want 3"
ha_no_dup "" "$NT_TMP/dora1.txt" "$NT_TMP/dora2.txt"
ha_holds 2 7 leases
nt_log "partner-down: the standby gave 3 new addresses, none of the primary's"

wait "${HA_PID[1]}" 2>/dev/null
ha_peregrine_start 1
nt_wait_for 30 "both servers back in hot-standby" both hot-standby
got=$(nt_ctl_raw "${HA_SOCK[1]}" "{\"command\": \"lease4-get\", \"arguments\": {\"ip-address\": \"$addr\"}}" 10 |
	jq -r '.arguments["hw-address"] // empty')
[ "$got" = "$mac" ] || nt_fail "the restarted primary does not hold $addr for $mac after its sync (got '$got')"
nt_log "the primary synced $addr ($mac) from the standby; both in hot-standby again"
leases 1 >"$NT_TMP/l1.txt"
leases 2 >"$NT_TMP/l2.txt"
cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "lease sets differ after the sync: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | tr '\n' ' ')"
ha_dora --count 1 --mac-base 02:00:00:00:cc:00 >"$NT_TMP/dora3.txt" || nt_fail "no lease after the return"
read -r mac addr _ <"$NT_TMP/dora3.txt"
got=$(nt_ctl_raw "${HA_SOCK[2]}" "{\"command\": \"lease4-get\", \"arguments\": {\"ip-address\": \"$addr\"}}" 10 |
	jq -r '.arguments["hw-address"] // empty')
[ "$got" = "$mac" ] || nt_fail "the standby does not hold $addr for $mac given after the return (got '$got')"
[ "$(leases 1 | wc -l)" = 8 ] && [ "$(leases 2 | wc -l)" = 8 ] ||
	nt_fail "lease counts: primary $(leases 1 | wc -l), standby $(leases 2 | wc -l); want 8 each"

# ha-sync: a lease added on the standby by a control command (not sent
# to the partner, as in Kea) reaches the primary when an operator asks.
r=$(nt_ctl_raw "${HA_SOCK[2]}" '{"command": "lease4-add", "arguments": {"ip-address": "198.18.0.240", "hw-address": "02:00:00:00:ee:00"}}' 10 | jq -r .result)
[ "$r" = 0 ] || nt_fail "lease4-add on the standby: result $r"
[ -z "$(ha_lease_hw 1 198.18.0.240)" ] || nt_fail "a control command's lease was sent to the partner"
r=$(nt_ctl_raw "${HA_SOCK[1]}" '{"command": "ha-sync", "arguments": {"server-name": "server2"}}' 20 | jq -r .result)
[ "$r" = 0 ] || nt_fail "ha-sync on the primary: result $r"
[ "$(ha_lease_hw 1 198.18.0.240)" = 02:00:00:00:ee:00 ] || nt_fail "ha-sync did not bring the standby's lease"
[ "$(ha_state 1)" = hot-standby ] || nt_fail "the primary left hot-standby after ha-sync ($(ha_state 1))"
# ha-scopes: the standby serves the primary's scope when told
r=$(nt_ctl_raw "${HA_SOCK[2]}" '{"command": "ha-scopes", "arguments": {"scopes": ["server1"]}}' 10 | jq -r .result)
[ "$r" = 0 ] || nt_fail "ha-scopes on the standby: result $r"
sc=$(nt_ctl_raw "${HA_SOCK[2]}" '{"command": "status-get"}' 10 | jq -c '.arguments["high-availability"][0]["ha-servers"].local.scopes')
[ "$sc" = '["server1"]' ] || nt_fail "the standby's scopes after ha-scopes: $sc"
o=$(ha_statistic 2 pkt4-offer-sent)
ha_dora --count 1 --mac-base 02:00:00:00:ef:00 >/dev/null || nt_fail "no lease after ha-scopes"
[ "$(ha_statistic 2 pkt4-offer-sent)" -gt "$o" ] || nt_fail "the standby did not answer after ha-scopes"
r=$(nt_ctl_raw "${HA_SOCK[2]}" '{"command": "ha-scopes", "arguments": {"scopes": ["nobody"]}}' 10 | jq -r .result)
[ "$r" = 1 ] || nt_fail "ha-scopes with an unknown server: result $r, want 1"
nt_log "ha-sync brought a lease from the standby; ha-scopes made the standby answer"
nt_stop "${HA_PID[2]}" 15 || nt_fail "standby exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "primary exit status $?"
exit 0
