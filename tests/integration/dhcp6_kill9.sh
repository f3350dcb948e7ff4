#!/bin/bash
# Crash safety of commit mode for DHCPv6: perfdhcp -6 (direct, from the
# client's link-local address, an address and a /56 per client) runs
# while tcpdump in the client namespace records every reply; the server
# is killed with SIGKILL mid-load.  Every address and prefix a REPLY on the
# wire gave must then be a valid lease of that DUID and IAID in the v6
# lease file, which holds no address twice.  A restarted server must load
# the file: assigned-nas and assigned-pds equal its leases, and
# lease6-get-all over the control socket lists exactly them.
# The load is 1500/s, the kill after 1000 leases, so that a REPLY sent
# before its lease reaches the file is caught often, not always: 3 runs
# of 4 with commit mode's parking disabled, about 1 of 3 with
# NT_DURABILITY=write-behind (the negative control).
# Usage: dhcp6_kill9.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
nt6_init "$@"
nt_need /usr/sbin/perfdhcp tcpdump jq
NT_DURABILITY=${NT_DURABILITY:-commit}
nt_topology
SOCK="$NT_TMP/ctl.sock"
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };"
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::1:0 - 2001:db8:1::1:ffff"; } );
		pd-pools = ( { prefix = "2001:db8:100::"; prefix-len = 40; delegated-len = 56; } ); }'
nt_server_conf
nt_server_check
nt_server_start

PCAP="$NT_TMP/replies.pcap"
# Unbounded count, bounded in time (-p 30) and stopped after 1000 leases.
nt_kill9_under_load "$PCAP" "udp and ( port 546 or port 547 )" "$LEASES6" '^2001:db8:1::' 1000 \
	-6 -l "$NT_VC" -e address-and-prefix -r 1500 -p 30 -R 16000000 -s 13

timeout 120 "$NT_PY" "$NT_HELPER" ackcheck6 "$PCAP" "$LEASES6" >"$NT_TMP/ackcheck6.out" 2>&1
rc=$?
grep MISSING "$NT_TMP/ackcheck6.out" | head -20 >&2
tail -1 "$NT_TMP/ackcheck6.out" >&2
[ "$rc" = 0 ] || nt_fail "a REPLYed lease is missing from the v6 lease file after SIGKILL"
nt6_leases_check --na "1:2001:db8:1::1:0-2001:db8:1::1:ffff" --pd "1:2001:db8:100::/40:56"
NA=$(nt6_count 1 na) PD=$(nt6_count 1 pd)
nt_log "v6 lease file: $NA addresses, $PD prefixes"

nt_server_start
nt_server_stats
nt_log "after restart: assigned-nas $(nt_stat 'subnet[1].assigned-nas')," \
	"assigned-pds $(nt_stat 'subnet[1].assigned-pds')"
[ "$(nt_stat 'subnet[1].assigned-nas')" = "$NA" ] && [ "$(nt_stat 'subnet[1].assigned-pds')" = "$PD" ] ||
	nt_fail "restarted server does not count the leases of the file"
nt_ctl_raw "$SOCK" '{"command": "lease6-get-all"}' >"$NT_TMP/get-all.json" ||
	nt_fail "lease6-get-all"
jq -r '.arguments.leases[] | "\(.type) \(.["ip-address"])"' "$NT_TMP/get-all.json" | sort \
	>"$NT_TMP/server.list"
leases6 | awk '{ print ($3 == 2 ? "IA_PD" : "IA_NA"), $1 }' | sort >"$NT_TMP/file.list"
diff "$NT_TMP/file.list" "$NT_TMP/server.list" >&2 ||
	nt_fail "lease6-get-all of the restarted server differs from the lease file"
exit 0
