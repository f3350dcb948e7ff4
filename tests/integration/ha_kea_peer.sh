#!/bin/bash
# ha/'s peer link against a real Kea 2.2 HA server: kea-dhcp4 with
# libdhcp_lease_cmds.so and libdhcp_ha.so (hot-standby, multi-threading,
# http-dedicated-listener on 127.0.0.1:8000 inside a namespace of its own;
# its partner's URL leads nowhere) answers ha/ha_peer_probe, which sends
# ha-heartbeat, lease4-update (force-create), lease4-get-page, lease4-del,
# dhcp-disable and dhcp-enable built by ha_msg.c over ha_http.c's
# keep-alive connection, and checks that the leases read back are the
# records it sent.  No DHCP traffic at all.
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/scripts/netns.sh"
. "$SRCDIR/scripts/hatest.sh"
NT_NAME=ha_kea_peer
nt_init "${1:-.}" kea

PROBE="$NT_BUILDDIR/ha/ha_peer_probe"
ha_kea_lo_init "$PROBE"
CONF="$NT_TMP/kea-ha.json"
ha_kea_lo_conf "$CONF" server1 8000 8001 "$NT_TMP/kea-dhcp4.out" \
	'"heartbeat-delay": 10000, "max-response-delay": 60000, "max-ack-delay": 5000,
	 "max-unacked-clients": 0, "sync-leases": false,'
ha_kea_lo_start kea "$CONF"

# the probe's first heartbeat exits 2 while the listener is not up yet
up() {
	nt_alive "$KEA_PID" || nt_fail "kea-dhcp4 exited"
	timeout 10 ip netns exec "$NT_SRV" "$PROBE" 127.0.0.1 8000 >"$NT_TMP/probe.log" 2>&1
	RC=$?
	[ "$RC" != 2 ]
}
nt_wait_for 20 "Kea's HA listener" up
cat "$NT_TMP/probe.log" >&2
[ "$RC" = 0 ] || nt_fail "ha_peer_probe against Kea 2.2: exit $RC"
grep -q '"command":"lease4-update"' "$NT_TMP/probe.log" || nt_fail "no lease4-update sent"
grep -q 'IPv4 lease added' "$NT_TMP/probe.log" || nt_fail "Kea did not add the lease"
nt_stop "$KEA_PID" 10
NT_RESULT=pass
