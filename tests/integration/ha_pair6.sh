#!/bin/bash
# Two Peregrine servers as a hot-standby pair for DHCPv4 and DHCPv6 at
# once: one relationship per family (as Kea runs one per daemon), both on
# the one peer URL.  The clients SOLICIT on the bridge (multicast reaches
# both servers); the topology and timers are integ-ha_pair's.
#  - both families reach hot-standby on both servers;
#  - only the primary answers (the standby has no scope): the SARRs give
#    REPLYs counted on the primary, none on the standby;
#  - the standby holds each v6 lease the moment its client has the REPLY
#    (lease6-bulk-apply toward a Peregrine partner, acknowledged before
#    the REPLY leaves), and the v4 one of a DORA likewise;
#  - kill -9 of the primary: the standby reaches partner-down in both
#    families and gives new clients v6 addresses none of which the
#    primary gave (both start from the same pool);
#  - the restarted primary syncs both families and holds the same v6
#    lease set as the standby, back in hot-standby.
# Usage: ha_pair6.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/hatest.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need jq
HA_HEARTBEAT=200 HA_MAX_RESPONSE=600 HA_MAX_ACK=100 HA_MAX_UNACKED=0
ha_topology

# a dhcp6 block for server N, the same pool on both
conf6() {
	cat >>"${HA_CONF[$1]}" <<EOF
dhcp6 = {
	preferred-lifetime = 3000; valid-lifetime = 4000;
	lease-database = { type = "memfile"; name = "$NT_TMP/leases6-$1.csv"; };
	subnet6 = ( { id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		      pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } ); } );
};
EOF
}
ha_peregrine_conf 1 primary hot-standby
ha_peregrine_conf 2 standby hot-standby
conf6 1
conf6 2
ha_peregrine_start 1
ha_peregrine_start 2

state6() {
	nt_ctl_raw "${HA_SOCK[$1]}" '{"command": "status-get", "service": ["dhcp6"]}' 10 2>/dev/null |
		jq -r '.arguments["high-availability"][0]["ha-servers"].local.state // "none"'
}
both() {
	[ "$(ha_state 1)" = "$1" ] && [ "$(ha_state 2)" = "$1" ] &&
		[ "$(state6 1)" = "$1" ] && [ "$(state6 2)" = "$1" ]
}
# "address duid" per v6 lease a server holds, sorted
leases6() {
	nt_ctl_raw "${HA_SOCK[$1]}" '{"command": "lease6-get-all"}' 10 |
		jq -r '.arguments.leases[]? | "\(.["ip-address"]) \(.duid)"' | sort
}
sarr() {
	NT_CLI=$HA_CLI nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$HA_VC" "$@"
}
nt_wait_for 30 "both servers in hot-standby for DHCPv4 and DHCPv6" both hot-standby
nt_log "both families in hot-standby on both servers"

sarr --count 4 --mac-base 02:00:00:00:61:00 >"$NT_TMP/sarr1.txt" || nt_fail "no v6 lease in hot-standby"
[ "$(ha_statistic 1 pkt6-reply-sent)" = 4 ] && [ "$(ha_statistic 2 pkt6-reply-sent)" = 0 ] ||
	nt_fail "REPLYs: primary $(ha_statistic 1 pkt6-reply-sent), standby $(ha_statistic 2 pkt6-reply-sent); want 4 and 0"
leases6 1 >"$NT_TMP/l1.txt"
leases6 2 >"$NT_TMP/l2.txt"
[ "$(wc -l <"$NT_TMP/l1.txt")" = 4 ] || nt_fail "the primary holds $(wc -l <"$NT_TMP/l1.txt") v6 leases, want 4"
cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "the standby does not hold the primary's v6 leases once the clients have them: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | tr '\n' ' ')"
ha_dora --count 1 --mac-base 02:00:00:00:a4:00 >/dev/null || nt_fail "no v4 lease in hot-standby"
[ "$(nt_ctl_raw "${HA_SOCK[2]}" '{"command": "lease4-get-all"}' 10 | jq '.arguments.leases | length')" = 1 ] ||
	nt_fail "the standby does not hold the primary's v4 lease"
nt_log "the standby holds the primary's 4 v6 leases and its v4 one as the clients get them"

down() { [ "$(ha_state 2)" = partner-down ] && [ "$(state6 2)" = partner-down ]; }
ha_kill_wait 1 "the standby to reach partner-down in both families" down
sarr --count 3 --mac-base 02:00:00:00:62:00 >"$NT_TMP/sarr2.txt" ||
	nt_fail "the standby did not serve DHCPv6 in partner-down"
ha_no_dup v6 "$NT_TMP/sarr1.txt" "$NT_TMP/sarr2.txt"
ha_holds 2 7 leases6
nt_log "partner-down: the standby gave 3 new v6 addresses, none of the primary's"

wait "${HA_PID[1]}" 2>/dev/null
ha_peregrine_start 1
nt_wait_for 30 "both servers back in hot-standby (both families)" both hot-standby
leases6 1 >"$NT_TMP/l1.txt"
leases6 2 >"$NT_TMP/l2.txt"
cmp -s "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" ||
	nt_fail "v6 lease sets differ after the sync: $(diff "$NT_TMP/l1.txt" "$NT_TMP/l2.txt" | tr '\n' ' ')"
nt_log "the restarted primary synced the standby's v6 leases; both in hot-standby again"
nt_stop "${HA_PID[2]}" 15 || nt_fail "standby exit status $?"
nt_stop "${HA_PID[1]}" 15 || nt_fail "primary exit status $?"
exit 0
