#!/bin/bash
# ISC dhclient -6 in the client namespace against the DHCPv6 server:
#  1. SOLICIT/ADVERTISE/REQUEST/REPLY: an address from the pool, with the
#     dns-servers it asked for, written to the v6 lease file;
#  2. RENEW at T1 (renew-timer 3 s): the lease's expire moves forward;
#  3. dhclient -6 -r: RELEASE, the lease leaves the file and the gauge;
#  4. dhclient -6 -P: a delegated /56 out of the pd-pool;
#  5. the server DUID is kept in the data directory and is the same after
#     a restart, and the restarted server has the delegated prefix back.
# Usage: dhcp6_dhclient.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
nt6_init "$@"
nt_need /usr/sbin/dhclient
nt_topology
NT_EXTRA_CONF="dhcp6 = {
	preferred-lifetime = 40; valid-lifetime = 60;
	renew-timer = 3; rebind-timer = 30;
	data-directory = \"$NT_TMP/data\";
	lease-database = { type = \"memfile\"; name = \"$LEASES6\"; };
	option-data = ( { name = \"dns-servers\"; data = \"2001:db8:1::53\"; } );
	subnet6 = ( {
		id = 1; subnet = \"2001:db8:1::/64\"; interface = \"eth0\";
		pools = ( { pool = \"2001:db8:1::100 - 2001:db8:1::1ff\"; } );
		pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = 56; } );
	} );
};"
nt_server_conf
nt_server_check
nt_server_start

nt_dhclient6_setup
EV=$NT_DHC6_EV
DHC=("${NT_DHC6[@]}")

nt_bg dhclient6 "$NT_CLI" "${DHC[@]}" -d -1 "$NT_VC"
DPID=$NT_LAST_PID
bound() { grep -q '^reason=BOUND6' "$EV" 2>/dev/null; }
nt_wait_for 40 "dhclient -6 BOUND6" bound
read -r IP DNS < <(sed -n 's/^reason=BOUND6 ip6=\([^ ]*\) prefix=[^ ]* dns=\([^ ]*\).*/\1 \2/p' "$EV" | head -1)
nt_log "bound $IP dns $DNS"
case $IP in
2001:db8:1::1[0-9a-f][0-9a-f]) ;;
*) nt_fail "address '$IP' not in pool 2001:db8:1::100-1ff" ;;
esac
[ "$DNS" = 2001:db8:1::53 ] || nt_fail "dns-servers '$DNS' (want 2001:db8:1::53)"
read -r LIP _ LTYPE EXP1 < <(leases6)
[ "$LIP" = "$IP" ] && [ "$LTYPE" = 0 ] || nt_fail "v6 lease file has '$LIP type $LTYPE', want $IP type 0"
nt_server_stats "$NT_TMP/stats1"
[ "$(nt_stat 'subnet[1].assigned-nas' "$NT_TMP/stats1")" = 1 ] ||
	nt_fail "subnet[1].assigned-nas is not 1 after BOUND6"
REP1=$(nt_stat pkt6-reply-sent "$NT_TMP/stats1")

sleep 1
renewed() { grep -q "^reason=RENEW6 ip6=$IP " "$EV" 2>/dev/null; }
nt_wait_for 30 "dhclient -6 RENEW6" renewed
nt_server_stats "$NT_TMP/stats2"
[ "$(nt_stat pkt6-renew-received "$NT_TMP/stats2")" -ge 1 ] || nt_fail "no RENEW received"
[ "$(nt_stat pkt6-reply-sent "$NT_TMP/stats2")" -gt "$REP1" ] || nt_fail "no REPLY to the RENEW"
read -r LIP2 _ _ EXP2 < <(leases6)
[ "$LIP2" = "$IP" ] || nt_fail "lease changed on renew ($LIP2)"
[ "$EXP2" -gt "$EXP1" ] || nt_fail "lease expire did not move forward ($EXP1 -> $EXP2)"
nt_log "expire $EXP1 -> $EXP2"

echo "$DPID" >"$NT_TMP/dhclient6.pid"
NT_STEP=30 nt_cli "${DHC[@]}" -r "$NT_VC" >"$NT_TMP/release.log" 2>&1 ||
	nt_fail "dhclient -6 -r failed"
nt_wait_exit "$DPID" 10
released() { [ -z "$(leases6)" ]; }
nt_wait_for 10 "the lease to leave the v6 lease file" released
nt_server_stats "$NT_TMP/stats3"
[ "$(nt_stat pkt6-release-received "$NT_TMP/stats3")" -ge 1 ] || nt_fail "pkt6-release-received is 0"
[ "$(nt_stat 'subnet[1].assigned-nas' "$NT_TMP/stats3")" = 0 ] ||
	nt_fail "assigned-nas is not 0 after release"

# Prefix delegation.
rm -f "$NT_TMP/dhclient6.leases"
nt_bg dhclient6pd "$NT_CLI" "${DHC[@]}" -P -d -1 "$NT_VC"
PPID2=$NT_LAST_PID
pd_bound() { grep -q '^reason=BOUND6 .*prefix=2001' "$EV" 2>/dev/null; }
nt_wait_for 40 "dhclient -6 -P BOUND6 with a prefix" pd_bound
PFX=$(sed -n 's/^reason=BOUND6 .*prefix=\(2001[^ ]*\) .*/\1/p' "$EV" | head -1)
nt_log "delegated $PFX"
case $PFX in
2001:db8:8:*::/56 | 2001:db8:8::/56) ;;
*) nt_fail "prefix '$PFX' is not a /56 of 2001:db8:8::/48" ;;
esac
nt_server_stats "$NT_TMP/stats4"
[ "$(nt_stat 'subnet[1].assigned-pds' "$NT_TMP/stats4")" = 1 ] || nt_fail "assigned-pds is not 1"
nt_stop "$PPID2" 5

# The server DUID survives a restart, and so does the delegation.
DUID1=$(cat "$NT_TMP/data/peregrine-dhcp6-serverid")
[ -n "$DUID1" ] || nt_fail "no server DUID kept in the data directory"
nt_server_stop || nt_fail "server exit status $?"
nt_server_start
DUID2=$(cat "$NT_TMP/data/peregrine-dhcp6-serverid")
[ "$DUID1" = "$DUID2" ] || nt_fail "server DUID changed across a restart ($DUID1 -> $DUID2)"
nt_server_stats "$NT_TMP/stats5"
[ "$(nt_stat 'subnet[1].assigned-pds' "$NT_TMP/stats5")" = 1 ] ||
	nt_fail "the delegated prefix did not come back after the restart"
nt_log "events: $(cut -d' ' -f1 "$EV" | tr '\n' ' ')"
exit 0
