#!/bin/bash
# ha/ha_service.c paired with a real Kea 2.2 server: kea-dhcp4 with
# libdhcp_lease_cmds.so and libdhcp_ha.so is the hot-standby primary
# (server1, 127.0.0.1:8000), ha_service_test --kea-primary is the standby
# (server2: an ha_service behind engine/ctl's peer listener on
# 127.0.0.1:8001), both inside one namespace of their own.  They must
# reach hot-standby on both sides through Kea's own sequence: Kea starts
# alone (partner-down) and is given a lease with lease4-add; the standby
# starts, syncs from Kea (dhcp-disable, lease4-get-page, ha-sync-complete-
# notify) and must hold that lease; Kea takes hot-standby when it sees the
# standby ready.  Then Kea is killed (-9) and the standby must reach
# partner-down and serve the primary's scope.  No DHCP traffic at all.
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/scripts/netns.sh"
NT_NAME=ha_service_kea
nt_init "${1:-.}" kea

PROBE="$NT_BUILDDIR/ha/ha_service_test"
HOOKS=/usr/lib/x86_64-linux-gnu/kea/hooks
[ -x "$PROBE" ] || nt_skip "no $PROBE (not built)"
[ -f "$HOOKS/libdhcp_ha.so" ] && [ -f "$HOOKS/libdhcp_lease_cmds.so" ] ||
	nt_skip "no Kea HA hook libraries in $HOOKS"

ip netns del "$NT_SRV" 2>/dev/null
timeout 10 ip netns add "$NT_SRV" || nt_fail "ip netns add $NT_SRV"
NT_NS_MADE+=("$NT_SRV")
ip -n "$NT_SRV" link set lo up || nt_fail "lo up"

CONF="$NT_TMP/kea-ha.json"
cat >"$CONF" <<EOS
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
        "this-server-name": "server1",
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
          { "name": "server1", "url": "http://127.0.0.1:8000/", "role": "primary" },
          { "name": "server2", "url": "http://127.0.0.1:8001/", "role": "standby" } ]
      } ] } } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$NT_TMP/kea-dhcp4.out" } ] } ]
} }
EOS
timeout 20 ip netns exec "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" KEA_PIDFILE_DIR="$NT_TMP" \
	"$NT_KEA" -t "$CONF" >"$NT_TMP/check.log" 2>&1 ||
	{ cat "$NT_TMP/check.log" >&2; nt_fail "kea-dhcp4 -t"; }
nt_bg kea "$NT_SRV" env KEA_LOCKFILE_DIR="$NT_TMP" KEA_PIDFILE_DIR="$NT_TMP" \
	"$NT_KEA" -c "$CONF"
KEA_PID=$NT_LAST_PID

# Kea first, alone (it goes to partner-down), with one lease given to it
# through its own listener: the standby, started then, syncs it from Kea.
kea_cmd() {
	timeout 5 ip netns exec "$NT_SRV" curl -s -X POST -H 'Content-Type: application/json' \
		-d "$1" http://127.0.0.1:8000/
}
kea_up() {
	nt_alive "$KEA_PID" || nt_fail "kea-dhcp4 exited"
	kea_cmd '{"command":"ha-heartbeat","service":["dhcp4"]}' | grep -q '"result": 0'
}
nt_wait_for 20 "Kea's HA listener" kea_up
ADD=$(kea_cmd '{"command":"lease4-add","service":["dhcp4"],"arguments":{"ip-address":"198.18.1.150","hw-address":"02:00:c6:12:01:96","subnet-id":1}}')
echo "$ADD" | grep -q '"result": 0' || nt_fail "lease4-add to Kea: $ADD"
nt_bg standby "$NT_SRV" timeout 70 "$PROBE" --kea-primary 8000 8001
PROBE_PID=$NT_LAST_PID

reached() {
	nt_alive "$PROBE_PID" || nt_fail "the standby exited: $(cat "$NT_TMP/standby.log")"
	grep -q 'HOT-STANDBY REACHED' "$NT_TMP/standby.log"
}
nt_wait_for 40 "hot-standby on both" reached
cat "$NT_TMP/standby.log" >&2
grep -qi 'HA_STATE_TRANSITION.* to hot-standby' \
	"$NT_TMP/kea-dhcp4.out" || nt_fail "Kea did not log its own hot-standby state"

nt_stop "$KEA_PID" 5 KILL
nt_wait_exit "$PROBE_PID" 40
RC=$?
cat "$NT_TMP/standby.log" >&2
[ "$RC" = 0 ] || nt_fail "the standby did not take over after kill -9 of Kea (exit $RC)"
NT_RESULT=pass
