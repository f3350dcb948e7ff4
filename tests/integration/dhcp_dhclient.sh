#!/bin/bash
# ISC dhclient in the client namespace: obtains a lease (address in the
# pool, routers option), renews it in RENEWING state (short renew-timer:
# the REQUEST is ACKed, pkt4-request-received grows, the lease file's
# expire moves forward), then releases it (dhclient -r) and the server
# forgets it (no valid lease left, assigned-addresses back to 0).
# dhclient runs with a private config, lease file, pid file and a script
# that only records what it was given.
# Usage: dhcp_dhclient.sh BUILDDIR [peregrine|kea]   (or SERVER=kea in the environment)
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
nt_need /usr/sbin/dhclient
NT_VALID=60 NT_RENEW=4 NT_REBIND=50
nt_topology
nt_server_conf
nt_server_check
nt_server_start

EV="$NT_TMP/dhclient.events"
SCRIPT="$NT_TMP/dhclient-script"
cat >"$SCRIPT" <<EOS
#!/bin/sh
# Records what dhclient hands over; configures nothing.
echo "reason=\$reason ip=\$new_ip_address routers=\$new_routers old=\$old_ip_address renew=\$new_dhcp_renewal_time" >>"$EV"
exit 0
EOS
chmod +x "$SCRIPT"
cat >"$NT_TMP/dhclient.conf" <<EOS
timeout 20;
retry 2;
request subnet-mask, routers, dhcp-lease-time, dhcp-renewal-time,
	dhcp-rebinding-time, dhcp-server-identifier;
EOS
DHC=(/usr/sbin/dhclient -4 -cf "$NT_TMP/dhclient.conf" -lf "$NT_TMP/dhclient.leases"
	-pf "$NT_TMP/dhclient.pid" -sf "$SCRIPT")

# -d keeps it in the foreground, so its PID is ours to stop.
nt_bg dhclient "$NT_CLI" "${DHC[@]}" -d -1 "$NT_VC"
DPID=$NT_LAST_PID
bound() { grep -q '^reason=BOUND' "$EV" 2>/dev/null; }
nt_wait_for 30 "dhclient BOUND" bound
read -r IP ROUTERS < <(sed -n 's/^reason=BOUND ip=\([^ ]*\) routers=\([^ ]*\).*/\1 \2/p' "$EV" | head -1)
nt_log "bound $IP routers $ROUTERS"
case $IP in
198.18.0.1[0-9][0-9]) ;;
*) nt_fail "address '$IP' not in pool 198.18.0.100-199" ;;
esac
[ "$ROUTERS" = "$NT_SERVER_IP" ] || nt_fail "routers '$ROUTERS' (want $NT_SERVER_IP)"
nt_leases >"$NT_TMP/leases1"
read -r LIP LMAC _ EXP1 < "$NT_TMP/leases1"
[ "$LIP" = "$IP" ] && [ "$LMAC" = "$NT_CLIENT_MAC" ] ||
	nt_fail "lease file has '$LIP $LMAC', want '$IP $NT_CLIENT_MAC'"
[ "$(wc -l <"$NT_TMP/leases1")" = 1 ] || nt_fail "more than one valid lease"
nt_server_stats "$NT_TMP/stats1"
REQ1=$(nt_stat pkt4-request-received "$NT_TMP/stats1")
ACK1=$(nt_stat pkt4-ack-sent "$NT_TMP/stats1")
[ "$(nt_stat 'subnet[1].assigned-addresses' "$NT_TMP/stats1")" = 1 ] ||
	nt_fail "assigned-addresses is not 1 after BOUND"

# dhclient renews by itself at T1 (renew-timer 4 s, randomised by dhclient
# to 3..5 s): a unicast REQUEST from RENEWING state.
sleep 1
renewed() { grep -q "^reason=RENEW ip=$IP " "$EV" 2>/dev/null; }
nt_wait_for 30 "dhclient RENEW" renewed
nt_alive "$DPID" || nt_fail "dhclient died"
nt_server_stats "$NT_TMP/stats2"
REQ2=$(nt_stat pkt4-request-received "$NT_TMP/stats2")
ACK2=$(nt_stat pkt4-ack-sent "$NT_TMP/stats2")
nt_log "request-received $REQ1 -> $REQ2, ack-sent $ACK1 -> $ACK2"
[ "$REQ2" -gt "$REQ1" ] || nt_fail "pkt4-request-received did not grow on renew"
[ "$ACK2" -gt "$ACK1" ] || nt_fail "pkt4-ack-sent did not grow on renew"
read -r LIP2 LMAC2 _ EXP2 < <(nt_leases)
[ "$LIP2" = "$IP" ] && [ "$LMAC2" = "$NT_CLIENT_MAC" ] || nt_fail "lease changed on renew"
[ "$EXP2" -gt "$EXP1" ] || nt_fail "lease expire did not move forward ($EXP1 -> $EXP2)"
nt_log "expire $EXP1 -> $EXP2"

# dhclient -r reads the pid file, stops the running client and sends a
# RELEASE.  The foreground client may not have written the pid file.
echo "$DPID" >"$NT_TMP/dhclient.pid"
NT_STEP=30 nt_cli "${DHC[@]}" -r "$NT_VC" >"$NT_TMP/release.log" 2>&1 ||
	nt_fail "dhclient -r failed"
nt_wait_exit "$DPID" 10
released() { [ -z "$(nt_leases)" ]; }
nt_wait_for 10 "the lease to disappear from the lease file" released
nt_server_stats "$NT_TMP/stats3"
[ "$(nt_stat pkt4-release-received "$NT_TMP/stats3")" -ge 1 ] ||
	nt_fail "pkt4-release-received is 0"
[ "$(nt_stat 'subnet[1].assigned-addresses' "$NT_TMP/stats3")" = 0 ] ||
	nt_fail "assigned-addresses is not 0 after release"
nt_log "released; events: $(cut -d' ' -f1 "$EV" | tr '\n' ' ')"
exit 0
