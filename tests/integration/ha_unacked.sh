#!/bin/bash
# Kea's failure detection with max-unacked-clients > 0 (integ-ha_pair's
# topology; timers 200/600/100, max-unacked-clients 2): after kill -9 of
# the primary, communication is interrupted, but the standby declares the
# partner down only once more than 2 clients the primary should answer
# have waited longer than max-ack-delay by their secs field, as Kea does.
#  - clients with secs 0 (they just started) do not count: the standby
#    stays out of partner-down;
#  - 3 clients with secs 5 do: the standby reaches partner-down and
#    serves them.
# The queries go from the workers to the HA thread (dp->ha_seen) only
# while communication is interrupted.
# Usage: ha_unacked.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=2
ha_topology
ha_peregrine_pair hot-standby
both() { [ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ]; }
remote() {
	nt_ctl_raw "${HA_SOCK[2]}" '{"command": "status-get"}' 10 |
		jq -r ".arguments[\"high-availability\"][0][\"ha-servers\"].remote[\"$1\"]"
}
nt_wait_for 20 "both servers in hot-standby" both hot-standby
ha_dora --count 2 --mac-base 02:00:00:00:c0:00 >/dev/null || nt_fail "no lease in hot-standby"

kill -9 "${HA_PID[1]}"
interrupted() { [ "$(remote communication-interrupted)" = true ]; }
nt_wait_for 5 "the standby to see communication interrupted" interrupted
# clients that just started: not unacked, whatever their number
ha_dora --count 4 --mac-base 02:00:00:00:c1:00 --timeout 0.3 --tries 2 --secs 0 >/dev/null 2>&1 &&
	nt_fail "a client was served before partner-down"
sleep 1
[ "$(ha_state 2)" = hot-standby ] || nt_fail "the standby left hot-standby ($(ha_state 2)) with no unacked client"
[ "$(remote analyzed-packets)" -gt 0 ] || nt_fail "no query analyzed while communication was interrupted"
[ "$(remote unacked-clients)" = 0 ] || nt_fail "unacked-clients $(remote unacked-clients) for clients with secs 0"
nt_log "communication interrupted, $(remote analyzed-packets) queries analyzed, no client unacked: still hot-standby"

# clients waiting for 5 s: more than max-unacked-clients of them
ha_dora --count 3 --mac-base 02:00:00:00:c2:00 --timeout 0.3 --tries 1 --secs 5 >/dev/null 2>&1
nt_wait_for 5 "the standby to reach partner-down" eval '[ "$(ha_state 2)" = partner-down ]'
ha_dora --count 3 --mac-base 02:00:00:00:c2:00 --secs 5 >/dev/null || nt_fail "the standby did not serve in partner-down"
nt_log "3 unacked clients: partner-down, and the standby serves them"
nt_stop "${HA_PID[2]}" 15 || nt_fail "standby exit status $?"
exit 0
