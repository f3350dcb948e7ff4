#!/bin/bash
# Two Peregrine servers as a hot-standby pair over the real peer link
# (issue 16's HA thread; lease updates to the partner are not in yet):
# clients on a bridge, each server's DPDK port on it, the HA link on a
# veth pair of its own (scripts/hatest.sh).  Timers 200/600/100 ms.
#  - both reach hot-standby; the primary answers the clients, the standby
#    (no scope) does not: the ACKs are counted on the primary only;
#  - kill -9 of the primary: the standby reaches partner-down and serves
#    a new client itself;
#  - the primary restarted syncs from the standby (it then holds the lease
#    the standby gave meanwhile) and both return to hot-standby.
# Known gap: without lease updates (the next step) the standby does not
# know the primary's leases, so in partner-down it may give a client an
# address the primary gave; the sync keeps the newer lease.  Once updates
# are in, this test must also check that no address is held twice.
# Usage: ha_pair.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology
ha_peregrine_conf 1 primary hot-standby
ha_peregrine_conf 2 standby hot-standby
ha_peregrine_start 1
ha_peregrine_start 2

both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
is() { [ "$(ha_state "$1")" = "$2" ]; }
acks() {
	nt_ctl_raw "${HA_SOCK[$1]}" '{"command": "statistic-get", "arguments": {"name": "pkt4-ack-sent"}}' 10 |
		jq -r '.arguments["pkt4-ack-sent"][0][0] // 0'
}
nt_wait_for 20 "both servers in hot-standby" both hot-standby
nt_log "both in hot-standby"

ha_dora --count 3 --mac-base 02:00:00:00:aa:00 >"$NT_TMP/dora1.txt" || nt_fail "no lease in hot-standby"
[ "$(acks 1)" = 3 ] && [ "$(acks 2)" = 0 ] ||
	nt_fail "ACKs: primary $(acks 1), standby $(acks 2); want 3 and 0"

t0=$SECONDS
kill -9 "${HA_PID[1]}"
nt_wait_for 10 "the standby to reach partner-down" is 2 partner-down
nt_log "standby in partner-down $((SECONDS - t0)) s after the kill"
ha_dora --count 1 --mac-base 02:00:00:00:bb:00 >"$NT_TMP/dora2.txt" ||
	nt_fail "the standby did not serve in partner-down"
read -r mac addr _ <"$NT_TMP/dora2.txt"
[ "$(acks 2)" = 1 ] || nt_fail "the standby's ACKs: $(acks 2), want 1"

wait "${HA_PID[1]}" 2>/dev/null
ha_peregrine_start 1
nt_wait_for 30 "both servers back in hot-standby" both hot-standby
got=$(nt_ctl_raw "${HA_SOCK[1]}" "{\"command\": \"lease4-get\", \"arguments\": {\"ip-address\": \"$addr\"}}" 10 |
	jq -r '.arguments["hw-address"] // empty')
[ "$got" = "$mac" ] || nt_fail "the restarted primary does not hold $addr for $mac after its sync (got '$got')"
nt_log "the primary synced $addr ($mac) from the standby; both in hot-standby again"
nt_stop "${HA_PID[2]}" 15 || nt_fail "standby exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "primary exit status $?"
exit 0
