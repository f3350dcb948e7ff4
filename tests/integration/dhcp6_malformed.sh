#!/bin/bash
# Malformed DHCPv6 (dhcp6_malformed.py: every payload of
# wire/testdata/malformed6, a good SOLICIT in frames broken below DHCP,
# and one behind extension headers the server must walk) sent three times
# from the client's link-local address to ff02::1:2.  The server must
# survive; pkt6-parse-failed grow by exactly the payloads and each
# pkt6-parse-failed.<reason> by the files named after that reason; each
# broken frame count in its dp-drop-<reason> and never reach DHCPv6
# (pkt6-received grows by the payloads and the walked SOLICITs only, each
# of which gets an ADVERTISE); then a good client gets an address
# (SOLICIT/ADVERTISE/REQUEST/REPLY) and its lease is in the v6 lease file.
# Usage: dhcp6_malformed.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
nt6_init "$@"
nt_topology
# relay-too-deep--40-relays makes a 1604-byte frame
ip -n "$NT_SRV" link set "$NT_VS" mtu 2000 && ip -n "$NT_CLI" link set "$NT_VC" mtu 2000 ||
	nt_fail "veth mtu 2000"
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } ); }'
nt_server_conf
nt_server_check
nt_server_start

nt6_stats
cp "$NT_TMP/stats.now" "$NT_TMP/stats.base"
REPEAT=3
nt_cli "$NT_PY" "$NT_SRCDIR/tests/integration/dhcp6_malformed.py" --iface "$NT_VC" \
	--repeat $REPEAT >"$NT_TMP/malformed6.out" || nt_fail "sending the corpus"
read -r _ NPARSER _ NNET _ NOK < <(tail -1 "$NT_TMP/malformed6.out")
nt_log "sent $NPARSER payloads for the parser, $NNET frames broken below DHCPv6, $NOK walked"
[ "$NPARSER" -gt 0 ] && [ "$NNET" -gt 0 ] || nt_fail "corpus empty"
# what each counter must have grown by
{
	echo pkt6-parse-failed "$NPARSER"
	echo pkt6-received $((NPARSER + NOK))
	echo pkt6-solicit-received "$NOK"
	echo pkt6-advertise-sent "$NOK"
	awk '$2 == "parser" { c["pkt6-parse-failed." $3]++ } $2 == "net" { c["dp-drop-" $3]++ }
		END { for (k in c) print k, c[k] }' "$NT_TMP/malformed6.out" | sort
} >"$NT_TMP/expect"
# counted: every counter grew as expected (the server may still be at it)
counted() {
	local name n
	nt6_stats
	while read -r name n; do
		[ "$(nt6_delta "$name" "$NT_TMP/stats.base")" = "$n" ] || return 1
	done <"$NT_TMP/expect"
}
deadline=$((SECONDS + 10))
until counted; do
	nt_alive "$NT_SRV_PID" || nt_fail "server died on malformed input"
	if [ "$SECONDS" -ge "$deadline" ]; then
		while read -r name n; do
			d=$(nt6_delta "$name" "$NT_TMP/stats.base")
			[ "$d" = "$n" ] || nt_log "$name grew by $d, want $n"
		done <"$NT_TMP/expect"
		nt_fail "the counters do not match the frames sent"
	fi
	sleep 0.2
done
nt_alive "$NT_SRV_PID" || nt_fail "server died on malformed input"
while read -r name n; do nt_log "$name +$n"; done <"$NT_TMP/expect"

# a good client right after
nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --count 2 >"$NT_TMP/good.txt" ||
	nt_fail "a good client got no address after the malformed frames"
cat "$NT_TMP/good.txt" >&2
[ "$(leases6 | wc -l)" = 2 ] || nt_fail "not 2 valid v6 leases after the good clients"
while read -r _ ip; do
	leases6 | grep -q "^$ip 128 0 " || nt_fail "$ip is not a lease in the v6 lease file"
done <"$NT_TMP/good.txt"
nt6_stats
nt_log "subnet[1].assigned-nas $(nt_stat 'subnet[1].assigned-nas')"
[ "$(nt_stat 'subnet[1].assigned-nas')" = 2 ] || nt_fail "subnet[1].assigned-nas is not 2"
exit 0
