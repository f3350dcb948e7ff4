#!/bin/bash
# RADIUS access for DHCPv6 (issue 17) against a real FreeRADIUS, end to
# end: pgtest.py sarr6 clients (DUID-LL of their MAC) on the client
# namespace, Peregrine's datapath on its veth, its RADIUS thread talking
# to FreeRADIUS on the server namespace's loopback (scripts/radtest.sh).
# User-Name is the DUID (identifier-type6 duid, Kea's default).
#  1. Framed-IPv6-Address: the client gets that address (it lies in the
#     class-guarded pool, which serves it anyway).
#  2. Delegated-IPv6-Prefix: the client's IA_PD gets that prefix.
#  3. Framed-IPv6-Pool "gold": the client lands in the pool guarded by
#     client-class "gold" (nobody else may use it).
#  4. A plain Access-Accept: the open pool.
#  5. Access-Reject: no address, counted (v6-drop-access-rejected); the
#     client retrying is answered from the cache, not asked again.
#  6. One question per client: its REQUEST and a returning client are
#     answered from the cache.
# Usage: radius_access6.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
nt6_init "$@"
nt_need freeradius
. "$NT_SRCDIR/scripts/radtest.sh"

MAC_ADDR=02:00:00:00:61:01
MAC_PFX=02:00:00:00:61:02
MAC_GOLD=02:00:00:00:61:03
MAC_ANY=02:00:00:00:61:04
MAC_REJ=02:00:00:00:61:05
MAC_EXPR=02:00:00:00:61:06
FIXED=2001:db8:1::1ab
PREFIX=2001:db8:8:4200::/56
# User-Name: the DUID-LL in Kea's text form
duid_of() { echo "00:03:00:01:$1"; }

nt_topology
ip -n "$NT_SRV" link set lo up || nt_fail "lo up in $NT_SRV"

RAD_NETNS=$NT_SRV
rad_prepare main
rad_user "$(duid_of "$MAC_ADDR")" accept "Framed-IPv6-Address = $FIXED"
rad_user "$(duid_of "$MAC_PFX")" accept "Delegated-IPv6-Prefix = $PREFIX"
# an address only with the Called-Station-Id the config's expr sends (the
# DUID's type, 0003: DUID-LL, in hex)
cat >>"$RAD_USERS" <<EOF
"$(duid_of "$MAC_EXPR")"	Called-Station-Id == "0003", Auth-Type := Accept
	Framed-IPv6-Address = 2001:db8:1::1ac

"$(duid_of "$MAC_EXPR")"	Auth-Type := Reject

EOF
rad_user "$(duid_of "$MAC_GOLD")" accept 'Framed-IPv6-Pool = "gold"'
rad_user "$(duid_of "$MAC_REJ")" reject
rad_start main

NT_ADDRESS6=2001:db8:1::1/64
SOCK=$NT_TMP/ctl.sock
NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };
radius = {
	timeout = 0.5; retries = 1; deadtime = 0;
	access = { servers = ( { name = \"127.0.0.1\"; port = $RAD_MAIN_AUTH_PORT; secret = \"$RAD_MAIN_SECRET\"; } );
		   attributes = ( { name = \"Called-Station-Id\";
				   expr = \"hexstring(substring(option[1].hex, 0, 2), '')\"; } ); };
};"
nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
		pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; client-class = "gold"; },
			  { pool = "2001:db8:1::1000 - 2001:db8:1::1fff"; } );
		pd-pools = ( { prefix = "2001:db8:8::"; prefix-len = 48; delegated-len = 56; } ); }' \
	'client-classes = ( { name = "gold"; } );'
nt_server_conf
nt_server_check
nt_server_start

# sarr6 MAC [TRIES] [--pd]: "address" (with --pd "address prefix") the
# REPLY gave, or "-"
sarr6() {
	local mac=$1 tries=${2:-2} out
	shift
	[ $# -gt 0 ] && shift
	out=$(nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --mac-base "$mac" --count 1 \
		--timeout 1.5 --tries "$tries" "$@" 2>/dev/null)
	set -- $out
	echo "${2:--}${3:+ $3}"
}
stat() { nt_server_stats; nt_stat "$1"; }
in_range() {   # in_range ADDR LO HI: ADDR within [LO, HI] (same /64)
	"$NT_PY" -c 'import ipaddress, sys
a, lo, hi = (ipaddress.ip_address(x) for x in sys.argv[1:])
sys.exit(0 if lo <= a <= hi else 1)' "$@" 2>/dev/null
}

a=$(sarr6 "$MAC_ADDR"); nt_log "Framed-IPv6-Address client: $a"
[ "$a" = "$FIXED" ] || nt_fail "Framed-IPv6-Address client got '$a', want $FIXED"
read -r a p <<<"$(sarr6 "$MAC_PFX" 2 --pd)"; nt_log "Delegated-IPv6-Prefix client: $a $p"
[ "$p" = "$PREFIX" ] || nt_fail "Delegated-IPv6-Prefix client got prefix '$p', want $PREFIX"
in_range "$a" 2001:db8:1::1000 2001:db8:1::1fff || nt_fail "its address '$a' is not from the open pool"
a=$(sarr6 "$MAC_GOLD"); nt_log "Framed-IPv6-Pool client: $a"
in_range "$a" 2001:db8:1::100 2001:db8:1::1ff || nt_fail "Framed-IPv6-Pool client got '$a', want the gold pool"
a=$(sarr6 "$MAC_ANY"); nt_log "plain client: $a"
in_range "$a" 2001:db8:1::1000 2001:db8:1::1fff || nt_fail "plain client got '$a', want the open pool"
a=$(sarr6 "$MAC_EXPR"); nt_log "Called-Station-Id (expr) client: $a"
[ "$a" = 2001:db8:1::1ac ] || nt_fail "the expr attribute did not reach the server: got '$a'"
asked=$(stat v6-access-asked)
[ "$asked" = 5 ] || nt_fail "v6-access-asked $asked after 5 clients, want 5 (one question each)"
[ "$(nt_stat v6-access-cache-hits)" -ge 4 ] || nt_fail "the REQUESTs were not answered from the cache"
# returning: cached, nothing asked
a=$(sarr6 "$MAC_GOLD")
in_range "$a" 2001:db8:1::100 2001:db8:1::1ff || nt_fail "returning Framed-IPv6-Pool client got '$a'"
[ "$(stat v6-access-asked)" = 5 ] || nt_fail "a returning client was asked again"
# rejected, twice: no address, one question
a=$(sarr6 "$MAC_REJ" 1); b=$(sarr6 "$MAC_REJ" 1)
[ "$a$b" = "--" ] || nt_fail "rejected client got '$a' '$b'"
rej=$(stat v6-drop-access-rejected)
asked=$(nt_stat v6-access-asked)
nt_log "rejected: v6-drop-access-rejected $rej, v6-access-asked $asked"
[ "$rej" -ge 2 ] || nt_fail "v6-drop-access-rejected $rej, want >= 2"
[ "$asked" = 6 ] || nt_fail "v6-access-asked $asked: the rejected client was asked more than once"
[ "$(nt_stat v6-access-address-unusable)$(nt_stat v6-access-prefix-unusable)" = 00 ] ||
	nt_fail "an address or prefix RADIUS named was counted unusable"
# the host-cache commands with "service": ["dhcp6"] are the DHCPv6
# workers' caches (six clients); without it the DHCPv4 ones' (none)
A=$(nt_ctl_raw "$SOCK" '{"command": "cache-size", "service": ["dhcp6"]}'); nt_log "cache-size dhcp6: $A"
jq -e '(if type == "array" then .[0] else . end).arguments.size == 6' <<<"$A" >/dev/null || nt_fail "cache-size for dhcp6: $A"
A=$(nt_ctl_raw "$SOCK" '{"command": "cache-size"}')
jq -e '.arguments.size == 0' <<<"$A" >/dev/null || nt_fail "cache-size for dhcp4: $A"
nt_server_stop
exit 0
