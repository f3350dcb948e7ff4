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
NT_NAME=ha_kea_peer
nt_init "${1:-.}" kea

PROBE="$NT_BUILDDIR/ha/ha_peer_probe"
HOOKS=/usr/lib/x86_64-linux-gnu/kea/hooks
[ -x "$PROBE" ] || nt_skip "no $PROBE (not built)"
[ -f "$HOOKS/libdhcp_ha.so" ] && [ -f "$HOOKS/libdhcp_lease_cmds.so" ] ||
	nt_skip "no Kea HA hook libraries in $HOOKS"

# one namespace, loopback only: the peer link is 127.0.0.1 there
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
        "heartbeat-delay": 10000,
        "max-response-delay": 60000,
        "max-ack-delay": 5000,
        "max-unacked-clients": 0,
        "sync-leases": false,
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
