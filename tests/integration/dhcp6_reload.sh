#!/bin/bash
# Live reconfiguration of the dhcp6 block while ISC dhclient -6 holds a
# lease and renews it every 3 s (renew-timer):
#  1. dhclient -6 binds an address of ::100-::10f with dns-servers ::53;
#  2. config-reload over the control socket with dns-servers ::54 and the
#     pool grown to ::100-::1ff (a new allocator; the pd-pool is carried):
#     the answer counts the lease remapped, none orphaned; the next RENEW
#     keeps the address and brings ::54; total-nas follows the new pool;
#  3. a broken file is refused with file:line, and so is a pd-pool re-cut
#     into /60s while a /56 of it is delegated (lease6-add): its line, and
#     the server keeps serving: the next RENEW still gets ::54;
#  4. SIGHUP with dns-servers ::55 and the same pools (both carried):
#     the next RENEW keeps the address and brings ::55;
#  5. a second client binds in the grown pool, not on the first one's
#     address; the lease file has both, distinct.
# Usage: dhcp6_reload.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
nt_need /usr/sbin/dhclient jq
[ "$SERVER" = peregrine ] || nt_skip "peregrine's live reconfiguration"
NT_IPV6=1
nt_topology
LEASES6="$NT_TMP/dhcp6.leases"
SOCK="$NT_TMP/ctl.sock"

# conf6 DNS LAST [DELEGATED_LEN]: the dhcp6 block (and the control socket)
conf6() {
	NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };
dhcp6 = {
	preferred-lifetime = 40; valid-lifetime = 60;
	renew-timer = 3; rebind-timer = 30;
	data-directory = \"$NT_TMP/data\";
	lease-database = { type = \"memfile\"; name = \"$LEASES6\"; };
	option-data = ( { name = \"dns-servers\"; data = \"$1\"; } );
	subnet6 = ( {
		id = 1; subnet = \"2001:db8:1::/64\"; interface = \"eth0\";
		pools = ( { pool = \"2001:db8:1::100 - $2\"; } );
		pd-pools = ( { prefix = \"2001:db8:8::\"; prefix-len = 48; delegated-len = ${3:-56}; } );
	} );
};"
	nt_server_conf
}
ctl() {
	nt_ctl_raw "$SOCK" "$1" 30
}

conf6 2001:db8:1::53 2001:db8:1::10f
nt_server_check
nt_server_start

nt_dhclient6_setup
EV=$NT_DHC6_EV

nt_bg dhclient6 "$NT_CLI" "${NT_DHC6[@]}" -d -1 "$NT_VC"
bound() { grep -q '^reason=BOUND6' "$EV" 2>/dev/null; }
nt_wait_for 40 "dhclient -6 BOUND6" bound
read -r IP DNS < <(sed -n 's/^reason=BOUND6 ip6=\([^ ]*\) prefix=[^ ]* dns=\([^ ]*\).*/\1 \2/p' "$EV" | head -1)
nt_log "bound $IP dns $DNS"
case $IP in
2001:db8:1::10[0-9a-f]) ;;
*) nt_fail "address '$IP' not in pool 2001:db8:1::100-10f" ;;
esac
[ "$DNS" = 2001:db8:1::53 ] || nt_fail "dns-servers '$DNS' (want 2001:db8:1::53)"
nt_server_stats "$NT_TMP/stats1"
[ "$(nt_stat 'subnet[1].total-nas' "$NT_TMP/stats1")" = 16 ] || nt_fail "total-nas is not 16"

# renewed_with DNS: a RENEW6 after the ones counted in $RENEWS keeps $IP
# and carries DNS
renews() { grep -c '^reason=RENEW6' "$EV"; }
renewed_with() {
	[ "$(renews)" -gt "$RENEWS" ] || return 1
	grep '^reason=RENEW6' "$EV" | tail -1 | grep -q "ip6=$IP prefix=[^ ]* dns=$1 " ||
		nt_fail "RENEW6 after the reload: $(grep '^reason=RENEW6' "$EV" | tail -1), want $IP with $1"
}

# --- a changed option and a grown pool, by config-reload -------------------
conf6 2001:db8:1::54 2001:db8:1::1ff
RENEWS=$(renews)
A=$(ctl '{"command": "config-reload"}')
nt_log "config-reload: $A"
jq -e '.result == 0 and .arguments.dhcp6["pools-carried-over"] == 1 and
	.arguments.dhcp6.leases == 1 and .arguments.dhcp6["orphaned-leases"] == 0 and
	.arguments.dhcp6["workers-switching"] == 0 and (.arguments | has("dhcp6"))' <<<"$A" >/dev/null ||
	nt_fail "config-reload of the dhcp6 block"
nt_wait_for 15 "a RENEW6 with dns-servers ::54" renewed_with 2001:db8:1::54
nt_server_stats "$NT_TMP/stats2"
[ "$(nt_stat 'subnet[1].total-nas' "$NT_TMP/stats2")" = 256 ] || nt_fail "total-nas is not 256"
[ "$(nt_stat 'subnet[1].pool[0].total-nas' "$NT_TMP/stats2")" = 256 ] ||
	nt_fail "pool[0].total-nas is not 256"
[ "$(nt_stat 'subnet[1].assigned-nas' "$NT_TMP/stats2")" = 1 ] || nt_fail "assigned-nas is not 1"
[ "$(nt_stat 'subnet[1].pool[0].assigned-nas' "$NT_TMP/stats2")" = 1 ] ||
	nt_fail "pool[0].assigned-nas is not 1"
grep -q 'dhcp6 reloaded from .*1 lease(s) remapped, 0 orphaned' "$NT_TMP/server1.log" ||
	nt_fail "no dhcp6 line in the reload's log"
grep -q 'not reloaded' "$NT_TMP/server1.log" && nt_fail "the log still says the dhcp6 block is not reloaded"

# --- a broken file is refused, the running one keeps serving ---------------
cp "$NT_CONF" "$NT_TMP/good.conf"
printf 'dhcp6-junk = 1;\n' >>"$NT_CONF"
A=$(ctl '{"command": "config-reload"}')
jq -e --arg f "$NT_CONF" '.result == 1 and (.text | startswith($f + ":"))' <<<"$A" >/dev/null ||
	nt_fail "broken config not refused with file:line: $A"
nt_log "refused: $(jq -r .text <<<"$A")"
cp "$NT_TMP/good.conf" "$NT_CONF"
A=$(ctl '{"command": "lease6-add", "arguments": {"ip-address": "2001:db8:8:100::", "type": "IA_PD",
	"prefix-len": 56, "duid": "00:03:00:01:02:00:00:00:61:02", "iaid": 11}}')
jq -e '.result == 0' <<<"$A" >/dev/null || nt_fail "lease6-add of a /56: $A"
conf6 2001:db8:1::56 2001:db8:1::1ff 60
PDLINE=$(grep -n 'pd-pools' "$NT_CONF" | cut -d: -f1)
A=$(ctl '{"command": "config-reload"}')
jq -e --arg f "$NT_CONF:$PDLINE:" '.result == 1 and (.text | startswith($f)) and
	(.text | test("delegated-len"))' <<<"$A" >/dev/null ||
	nt_fail "a pd-pool re-cut under a delegated prefix not refused at line $PDLINE: $A"
nt_log "refused: $(jq -r .text <<<"$A")"
cp "$NT_TMP/good.conf" "$NT_CONF"
RENEWS=$(renews)
nt_wait_for 15 "a RENEW6 after the refused reload" renewed_with 2001:db8:1::54
nt_server_stats "$NT_TMP/stats3"
[ "$(nt_stat 'subnet[1].total-nas' "$NT_TMP/stats3")" = 256 ] || nt_fail "total-nas moved"
[ "$(nt_stat 'subnet[1].assigned-pds' "$NT_TMP/stats3")" = 1 ] || nt_fail "assigned-pds is not 1"

# --- SIGHUP: another option, the same pools (both carried) -----------------
conf6 2001:db8:1::55 2001:db8:1::1ff
RENEWS=$(renews)
kill -HUP "$NT_SRV_PID"
hup_done() { grep -q 'dhcp6 reloaded from .*2 pool(s) carried over, 2 lease(s) remapped' \
	"$NT_TMP/server1.log"; }
nt_wait_for 10 "the SIGHUP reload" hup_done
nt_wait_for 15 "a RENEW6 with dns-servers ::55" renewed_with 2001:db8:1::55
A=$(ctl '{"command": "status-get"}')
jq -e '.arguments["reload-count"] == 2' <<<"$A" >/dev/null || nt_fail "reload-count: $A"

# --- a second client in the grown pool --------------------------------------
NT_DHC6_ID=b nt_dhclient6_setup
echo 'send dhcp6.client-id 00:03:00:01:02:00:00:00:77:01;' >>"$NT_TMP/dhclient6b.conf"
nt_bg dhclient6b "$NT_CLI" "${NT_DHC6[@]}" -d -1 "$NT_VC"
bound2() { [ "$(grep -c '^reason=BOUND6' "$EV")" -ge 2 ]; }
nt_wait_for 40 "the second dhclient -6 BOUND6" bound2
IP2=$(grep '^reason=BOUND6' "$EV" | tail -1 | sed -n 's/.*ip6=\([^ ]*\) .*/\1/p')
nt_log "second client bound $IP2"
[ -n "$IP2" ] && [ "$IP2" != "$IP" ] || nt_fail "second client got '$IP2' (first has $IP)"
n=$(awk -F, 'NR > 1 && $3 > 0 { a[$1] = 1 } END { print length(a) }' "$LEASES6")
[ "$n" -ge 2 ] || nt_fail "the v6 lease file has $n valid addresses"
nt_server_stop || nt_fail "server exit status $?"
NT_RESULT=pass
exit 0
