#!/bin/bash
# Relayed DHCPv6: perfdhcp -6 -A1 in the client namespace plays one relay
# (RELAY-FORW from its global address, which is also the link-address);
# the server's port has address6 2001:db8:1::1 and answers RELAY-REPL.
#  a. 300 SARR for IA_NA (subnet 1, chosen by the prefix holding the link
#     address): >= 90% answered, perfdhcp -u sees no address in two REPLYs,
#     every lease of the v6 lease file in the pool and held by one IA, one
#     lease per REPLY sent, subnet[1].assigned-nas equal to the file;
#  b. 200 SARR with IA_NA and IA_PD (-e address-and-prefix): /56 prefixes
#     of the /40 pd-pool, subnet[1].assigned-pds equal to the file;
#  c. 100 relayed rapid-commit SOLICITs (pgtest.py: perfdhcp -c cannot)
#     from link address 2001:db8:2::2, which only subnet 2's relay
#     ip-addresses names (rapid-commit = true): each gets a REPLY with an
#     address, pkt6-advertise-sent stays put, one lease per REPLY;
#  d. scapy: a relayed SOLICIT with an interface-id gets a RELAY-REPL that
#     echoes it, with an address of the subnet that interface-id selects
#     (before the link address); without one, the link address decides.
# Usage: dhcp6_relay.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
nt6_init "$@"
nt_need /usr/sbin/perfdhcp
nt_topology
NT_ADDRESS6=2001:db8:1::1/64
NA1="1:2001:db8:1::1000-2001:db8:1::1fff"
PD1="1:2001:db8:100::/40:56"
NA2="2:2001:db8:20::1000-2001:db8:20::1fff"
NA3="3:2001:db8:30::100-2001:db8:30::1ff"
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64";
		pools = ( { pool = "2001:db8:1::1000 - 2001:db8:1::1fff"; } );
		pd-pools = ( { prefix = "2001:db8:100::"; prefix-len = 40; delegated-len = 56; } ); },
	{ id = 2; subnet = "2001:db8:20::/64"; rapid-commit = true;
		relay = { ip-addresses = [ "2001:db8:2::2" ]; };
		pools = ( { pool = "2001:db8:20::1000 - 2001:db8:20::1fff"; } ); },
	{ id = 3; subnet = "2001:db8:30::/64"; interface-id = "pgt-port-7";
		pools = ( { pool = "2001:db8:30::100 - 2001:db8:30::1ff"; } ); }'
nt_server_conf
nt_server_check
nt_server_start
nt6_client_addr 2001:db8:1::2/64
nt6_stats

# most of N answered, in both exchanges of SARR
answered() {
	local n=$1
	[ "$P6_RECV1" -ge $((n * 9 / 10)) ] || nt_fail "only $P6_RECV1 of $n SOLICITs answered"
	[ "$P6_RECV2" -ge $((n * 9 / 10)) ] || nt_fail "only $P6_RECV2 of $n REQUESTs answered"
	[ "$P6_NONUNIQ2" = 0 ] || nt_fail "perfdhcp saw $P6_NONUNIQ2 non-unique addresses in REPLYs"
}
# stat NAME WANT: the statistic's value now
stat_is() {
	[ "$(nt_stat "$1")" = "$2" ] || nt_fail "$1 is $(nt_stat "$1"), want $2"
}

# (a) IA_NA.  perfdhcp -6 steps the MAC (its DUID-LLT's) by one per new
# client, up to -R of them: the 300 clients are distinct, so each REPLY
# is one new lease.
N=300
nt6_perfdhcp sarr -A1 -r 200 -n $N -p 20 -R 16000000 -s 5 -u -d 4 -W 2000000
answered $N
nt6_stats
nt6_leases_check --na "$NA1" --pd "$PD1"
NA=$(nt6_count 1 na)
nt_log "a: $NA leases, pkt6-reply-sent +$(nt6_delta pkt6-reply-sent)"
[ "$NA" -ge "$P6_RECV2" ] || nt_fail "$NA leases in the file, fewer than the $P6_RECV2 REPLYs"
[ "$(nt6_delta pkt6-reply-sent)" = "$NA" ] || nt_fail "pkt6-reply-sent grew by $(nt6_delta pkt6-reply-sent), $NA leases"
[ "$(nt6_delta pkt6-advertise-sent)" -ge "$P6_RECV1" ] || nt_fail "pkt6-advertise-sent below perfdhcp's count"
stat_is 'subnet[1].assigned-nas' "$NA"
stat_is 'subnet[1].assigned-pds' 0

# (b) IA_NA and IA_PD in each message, from other MACs.
N=200
nt6_perfdhcp pd -A1 -e address-and-prefix -b mac=00:0c:02:00:00:00 -r 200 -n $N -p 20 \
	-R 16000000 -s 6 -u -d 4 -W 2000000
answered $N
nt6_stats
nt6_leases_check --na "$NA1" --pd "$PD1"
REP=$(nt6_delta pkt6-reply-sent)
PD=$(nt6_count 1 pd)
nt_log "b: $(nt6_count 1 na) addresses, $PD prefixes, pkt6-reply-sent +$REP"
[ "$PD" -ge "$P6_RECV2" ] && [ "$PD" = "$REP" ] ||
	nt_fail "$PD delegated prefixes, $REP REPLYs sent, $P6_RECV2 received"
[ "$(nt6_count 1 na)" = $((NA + REP)) ] || nt_fail "not one more address per REPLY"
stat_is 'subnet[1].assigned-pds' "$PD"
stat_is 'subnet[1].assigned-nas' $((NA + REP))

# (c) rapid commit, the subnet chosen by relay ip-addresses.  perfdhcp
# 2.2 cannot drive it: -c needs -i, and with -i it aborts on the first
# REPLY ("Packets exchange not specified", it matches REPLYs to REQUESTs
# only), so the relayed SOLICITs come from pgtest.py, one client at a time.
# relay6 NAME ARGS...: relayed SOLICITs from 2001:db8:2::2, one line per
# client in $NT_TMP/NAME.out: "mac interface-id S inner T address A".
relay6() {
	local name=$1
	shift
	nt_cli "$NT_PY" "$NT_HELPER" relay6 --iface "$NT_VC" --src 2001:db8:2::2 "$@" \
		>"$NT_TMP/$name.out" 2>"$NT_TMP/$name.err" ||
		{ head -5 "$NT_TMP/$name.err" >&2; nt_fail "no RELAY-REPL to a relayed SOLICIT ($*)"; }
}
nt6_client_addr 2001:db8:2::2/64
N=100
relay6 rapid --link 2001:db8:2::2 --rapid-commit --count $N --mac-base 02:00:00:00:80:00
nt6_stats
nt6_leases_check --na "$NA1" --pd "$PD1" --na "$NA2"
NA2N=$(nt6_count 2 na)
nt_log "c: $NA2N leases in subnet 2, pkt6-reply-sent +$(nt6_delta pkt6-reply-sent)," \
	"pkt6-advertise-sent +$(nt6_delta pkt6-advertise-sent)"
[ "$(awk '$5 == 7 && $7 != "-"' "$NT_TMP/rapid.out" | wc -l)" = $N ] ||
	nt_fail "not every rapid-commit SOLICIT got a REPLY with an address"
[ "$(nt6_delta pkt6-advertise-sent)" = 0 ] || nt_fail "ADVERTISE sent to rapid-commit SOLICITs"
[ "$NA2N" = $N ] && [ "$(nt6_delta pkt6-reply-sent)" = $N ] ||
	nt_fail "$NA2N leases in subnet 2 for $(nt6_delta pkt6-reply-sent) REPLYs, want $N"
stat_is 'subnet[2].assigned-nas' $N
stat_is 'subnet[1].assigned-nas' $((NA + REP))

# (d) interface-id: echoed, and it picks subnet 3 over the link address;
# without one the link address picks subnet 1.
relay6 iid --link 2001:db8:1::2 --interface-id pgt-port-7 --mac 02:00:00:00:70:01
read -r _ _ IID _ INNER _ ADDR <"$NT_TMP/iid.out"
nt_log "d: interface-id $IID inner $INNER address $ADDR"
[ "$INNER" = 2 ] || nt_fail "relayed SOLICIT answered with message type $INNER, want ADVERTISE"
[ "$IID" = pgt-port-7 ] || nt_fail "RELAY-REPL interface-id '$IID', want pgt-port-7"
case $ADDR in
2001:db8:30::1[0-9a-f][0-9a-f]) ;;
*) nt_fail "address '$ADDR' is not from subnet 3 (interface-id pgt-port-7)" ;;
esac
relay6 noiid --link 2001:db8:1::2 --mac 02:00:00:00:70:02
read -r _ _ IID _ INNER _ ADDR <"$NT_TMP/noiid.out"
nt_log "d: no interface-id: $IID inner $INNER address $ADDR"
[ "$IID" = - ] || nt_fail "RELAY-REPL has an interface-id '$IID' the relay did not send"
case $ADDR in
2001:db8:1::1[0-9a-f][0-9a-f][0-9a-f]) ;;
*) nt_fail "address '$ADDR' is not from subnet 1 (link address 2001:db8:1::2)" ;;
esac
nt_alive "$NT_SRV_PID" || nt_fail "server died"
exit 0
