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
NT_NAME=ha_service_kea
nt_init "${1:-.}" kea

PROBE="$NT_BUILDDIR/ha/ha_service_test"
HOOKS=/usr/lib/x86_64-linux-gnu/kea/hooks
[ -x "$PROBE" ] || nt_skip "no $PROBE (not built)"
[ -f "$HOOKS/libdhcp_ha.so" ] && [ -f "$HOOKS/libdhcp_lease_cmds.so" ] ||
	nt_skip "no Kea HA hook libraries in $HOOKS"
command -v curl >/dev/null || nt_skip "no curl"

ip netns del "$NT_SRV" 2>/dev/null
timeout 10 ip netns add "$NT_SRV" || nt_fail "ip netns add $NT_SRV"
NT_NS_MADE+=("$NT_SRV")
ip -n "$NT_SRV" link set lo up || nt_fail "lo up"

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
	cat >"$conf" <<EOS
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ ] },
  "lease-database": { "type": "memfile", "persist": false },
  "valid-lifetime": 600,
  "subnet4": [ { "id": 1, "subnet": "198.18.1.0/24",
                 "pools": [ { "pool": "198.18.1.100 - 198.18.1.200" } ] } ],
  "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2,
                       "packet-queue-size": 16 },
  "hooks-libraries": [
    { "library": "$HOOKS/libdhcp_lease_cmds.so" },
    { "library": "$HOOKS/libdhcp_ha.so",
      "parameters": { "high-availability": [ {
        "this-server-name": "$name",
        "mode": "hot-standby",
        "heartbeat-delay": 200,
        "max-response-delay": 600,
        "max-ack-delay": 100,
        "max-unacked-clients": 0,
        "sync-page-limit": 1,
        "multi-threading": { "enable-multi-threading": true,
                             "http-dedicated-listener": true,
                             "http-listener-threads": 1, "http-client-threads": 1 },
        "peers": [
          { "name": "server1", "url": "http://127.0.0.1:$p1/", "role": "primary" },
          { "name": "server2", "url": "http://127.0.0.1:$p2/", "role": "standby" } ]
      } ] } } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$log" } ] } ]
} }
EOS
	timeout 20 ip netns exec "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" \
		KEA_PIDFILE_DIR="$NT_TMP" "$NT_KEA" -t "$conf" >"$NT_TMP/check.log" 2>&1 ||
		{ cat "$NT_TMP/check.log" >&2; nt_fail "kea-dhcp4 -t"; }
	nt_bg "kea-$1" "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" KEA_PIDFILE_DIR="$NT_TMP" \
		"$NT_KEA" -c "$conf"
	KEA_PID=$NT_LAST_PID
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
