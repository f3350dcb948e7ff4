#!/bin/bash
# Real clients against a hot-standby pair of Peregrines (integ-ha_pair's
# topology): ISC dhclient and perfdhcp on the clients' bridge.
#  - dhclient is BOUND to an address of the pool, and the standby holds
#    that lease for dhclient's MAC;
#  - perfdhcp (a relay at 198.18.0.2, 100 clients at 50/s, its own
#    uniqueness check) gets its ACKs with no address given twice, and both
#    servers hold the same lease set.
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

EV="$NT_TMP/dhclient.events"
SCRIPT="$NT_TMP/dhclient-script"
cat >"$SCRIPT" <<EOS
#!/bin/sh
echo "reason=\$reason ip=\$new_ip_address" >>"$EV"
exit 0
EOS
chmod +x "$SCRIPT"
printf 'timeout 20;\nretry 2;\n' >"$NT_TMP/dhclient.conf"
nt_bg dhclient "$HA_CLI" /usr/sbin/dhclient -4 -cf "$NT_TMP/dhclient.conf" -lf "$NT_TMP/dhclient.leases" \
	-pf "$NT_TMP/dhclient.pid" -sf "$SCRIPT" -d -1 "$HA_VC"
DPID=$NT_LAST_PID
bound() { grep -q '^reason=BOUND' "$EV" 2>/dev/null; }
nt_wait_for 30 "dhclient BOUND" bound
IP=$(sed -n 's/^reason=BOUND ip=\([^ ]*\).*/\1/p' "$EV" | head -1)
MAC=$(ip -n "$HA_CLI" link show "$HA_VC" | awk '/link\/ether/ { print $2 }')
case $IP in
198.18.0.1[0-9][0-9] | 198.18.0.2[0-4][0-9] | 198.18.0.250) ;;
*) nt_fail "dhclient's address '$IP' is not in the pool" ;;
esac
[ "$(ha_lease_hw 2 "$IP")" = "$MAC" ] || nt_fail "the standby does not hold dhclient's lease $IP for $MAC"
nt_stop "$DPID" 5 >/dev/null
nt_log "dhclient bound $IP from the pair; the standby holds it"

NT_STEP=60 nt_cli /usr/sbin/perfdhcp -4 -l "$HA_VC" -r 50 -n 100 -p 20 \
	-R 16000000 -s 7 -u -W 2000000 -x e >"$NT_TMP/perfdhcp.out" 2>&1
rc=$?
case $rc in
0 | 3) ;;   # 3: packets were dropped; judged below
*) cat "$NT_TMP/perfdhcp.out" >&2; nt_fail "perfdhcp exit status $rc" ;;
esac
RECV_R=$(awk '/^received packets:/ { r[++n] = $3 } END { print r[2] + 0 }' "$NT_TMP/perfdhcp.out")
NONUNIQ=$(awk '/^non unique addresses:/ { n += $4 } END { print n + 0 }' "$NT_TMP/perfdhcp.out")
grep -q '^non unique addresses:' "$NT_TMP/perfdhcp.out" || nt_fail "perfdhcp printed no uniqueness count"
[ "$RECV_R" -ge 90 ] || nt_fail "perfdhcp: only $RECV_R of 100 exchanges got an ACK"
[ "$NONUNIQ" = 0 ] || nt_fail "perfdhcp saw $NONUNIQ non-unique addresses"
ha_lease_list 1 >"$NT_TMP/l1.txt"
ha_lease_list 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" -ge 91 ] && cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "lease sets: primary $(wc -l <"$NT_TMP/l1.txt"), standby $(wc -l <"$NT_TMP/l2.txt"), want the same >= 91"
[ -z "$(awk '{print $1}' "$NT_TMP/l2.txt" | uniq -d)" ] || nt_fail "an address with two leases"
nt_log "perfdhcp: $RECV_R ACKs, no address twice; both servers hold the same $(wc -l <"$NT_TMP/l1.txt") leases"
nt_stop "${HA_PID[2]}" 15 || nt_fail "standby exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "primary exit status $?"
exit 0
