#!/bin/bash
# ha/ha_service.c paired with a real Kea 2.2 server in hot-standby, both
# ways: kea-dhcp4 with libdhcp_lease_cmds.so and libdhcp_ha.so on
# 127.0.0.1:8000, ha_service_test --kea-primary / --kea-standby (one
# ha_service behind engine/ctl's peer listener) on 127.0.0.1:8001, inside
# one namespace of their own.  Each round: Kea starts alone (it goes to
# partner-down) and is given a lease with lease4-add through its own
# listener; our server starts, syncs from Kea (dhcp-disable origin
# ha-partner, lease4-get-page, ha-sync-complete-notify) and must hold that
# lease; both must reach hot-standby (Kea's log says so too).  Then Kea is
# killed (-9) and ours must reach partner-down serving the primary's
# scope.  No DHCP traffic at all.
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/scripts/netns.sh"
. "$SRCDIR/scripts/hatest.sh"
NT_NAME=ha_service_kea
nt_init "${1:-.}" kea

PROBE="$NT_BUILDDIR/ha/ha_service_test"
command -v curl >/dev/null || nt_skip "no curl"
ha_kea_lo_init "$PROBE"

kea_cmd() {
	timeout 5 ip netns exec "$NT_SRV" curl -s -X POST -H 'Content-Type: application/json' \
		-d "$1" http://127.0.0.1:8000/
}
kea_up() {
	nt_alive "$KEA_PID" || nt_fail "kea-dhcp4 exited"
	kea_cmd '{"command":"ha-heartbeat","service":["dhcp4"]}' | grep -q '"result": 0'
}
reached() {
	nt_alive "$PROBE_PID" || nt_fail "ours exited: $(cat "$NT_TMP/ours-$KEA_ROLE.log")"
	grep -q 'HOT-STANDBY REACHED' "$NT_TMP/ours-$KEA_ROLE.log"
}

# round primary|standby: Kea's role in it
round() {
	KEA_ROLE=$1
	local name=server1 p1=8000 p2=8001 conf="$NT_TMP/kea-$1.json" log="$NT_TMP/kea-$1.out" add
	[ "$1" = standby ] && { name=server2; p1=8001; p2=8000; }
	ha_kea_lo_conf "$conf" "$name" "$p1" "$p2" "$log" \
		'"heartbeat-delay": 200, "max-response-delay": 600, "max-ack-delay": 100,
		 "max-unacked-clients": 0, "sync-page-limit": 1,'
	ha_kea_lo_start "kea-$1" "$conf"
	nt_wait_for 20 "Kea's HA listener" kea_up
	add=$(kea_cmd '{"command":"lease4-add","service":["dhcp4"],"arguments":{"ip-address":"198.18.1.150","hw-address":"02:00:c6:12:01:96","subnet-id":1}}')
	echo "$add" | grep -q '"result": 0' || nt_fail "lease4-add to Kea: $add"

	nt_bg "ours-$1" "$NT_SRV" timeout 70 "$PROBE" "--kea-$1" 8000 8001
	PROBE_PID=$NT_LAST_PID
	nt_wait_for 40 "hot-standby on both (Kea $1)" reached
	cat "$NT_TMP/ours-$1.log" >&2
	grep -qi 'HA_STATE_TRANSITION.* to hot-standby' "$log" ||
		nt_fail "Kea ($1) did not log its own hot-standby state"

	nt_stop "$KEA_PID" 5 KILL
	nt_wait_exit "$PROBE_PID" 40
	local rc=$?
	cat "$NT_TMP/ours-$1.log" >&2
	[ "$rc" = 0 ] || nt_fail "ours did not take over after kill -9 of Kea ($1): exit $rc"
	nt_log "Kea as the $1: hot-standby, sync from Kea, partner-down after its kill: ok"
}

round primary
round standby
NT_RESULT=pass
