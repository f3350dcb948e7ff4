#!/bin/bash
# RADIUS access (issue 17) against a real FreeRADIUS, end to end: scapy
# clients on the client namespace, Peregrine's datapath on its veth, its
# RADIUS thread talking to FreeRADIUS on the server namespace's loopback
# (scripts/radtest.sh).  User-Name is the MAC (identifier-type4
# hw-address).
#  1. Access-Accept with Framed-IP-Address: the client gets that address.
#  2. Access-Accept with Framed-Pool "gold": the client lands in the pool
#     guarded by client-class "gold" (nobody else may use it).
#  3. Access-Reject: no OFFER, counted (drop-access-rejected); the client
#     retrying is answered from the cache, not asked again.
#  4. A returning client's answer is cached: no second question.
#  5. The first server down: the second one answers (failover).
#  6. No server answers: on-unreachable = "serve" serves the client (not
#     cached), on-unreachable = "deny" does not.
#  7. The configured attributes reach the server: a fixed NAS-Identifier
#     and a Called-Station-Id from an expression on the packet (the users
#     file accepts those two clients only when they carry them).
#  8. The per-server statistics count what the server saw; Kea's host-cache
#     commands read and change the workers' caches (a removed client is
#     asked again); a reload that changes the radius block is refused.
# Usage: radius_access.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine only"
nt_need freeradius
. "$NT_SRCDIR/scripts/radtest.sh"

MAC_IP=02:00:00:00:21:01
MAC_GOLD=02:00:00:00:21:02
MAC_REJ=02:00:00:00:21:03
MAC_ANY=02:00:00:00:21:04
MAC_EXPR=02:00:00:00:21:07
MAC_DATA=02:00:00:00:21:08
FIXED=198.18.0.150
NT_POOL_EXTRA='{ pool = "198.18.0.50 - 198.18.0.59"; client-class = "gold"; }'
nt_topology
ip -n "$NT_SRV" link set lo up || nt_fail "lo up in $NT_SRV"

RAD_NETNS=$NT_SRV
rad_prepare main
rad_user "$MAC_IP" accept "Framed-IP-Address = $FIXED"
rad_user "$MAC_GOLD" accept 'Framed-Pool = "gold"'
rad_user "$MAC_REJ" reject
# accepted with an address only with the attribute the config sends
cat >>"$RAD_USERS" <<EOF
"$MAC_EXPR"	Called-Station-Id == "eth0", Auth-Type := Accept
	Framed-IP-Address = 198.18.0.160

"$MAC_EXPR"	Auth-Type := Reject

"$MAC_DATA"	NAS-Identifier == "pgt-nas", Auth-Type := Accept
	Framed-IP-Address = 198.18.0.161

"$MAC_DATA"	Auth-Type := Reject

EOF
rad_start main
rad_prepare spare                 # a second server's ports, never started here

# radius_conf ON_UNREACHABLE SERVER_PORT...: the radius block
radius_conf() {
	local mode=$1 servers="" p
	shift
	for p in "$@"; do
		servers+="{ name = \"127.0.0.1\"; port = $p; secret = \"$RAD_MAIN_SECRET\"; },"
	done
	NT_EXTRA_CONF="control-socket = { socket-name = \"$SOCK\"; };
radius = {
	identifier-type4 = \"hw-address\";
	timeout = 0.3; retries = 1; deadtime = 0;
	on-unreachable = \"$mode\";
	access = {
		servers = ( ${servers%,} );
		attributes = ( { name = \"NAS-Identifier\"; data = \"pgt-nas\"; },
		               { name = \"Called-Station-Id\"; expr = \"pkt.iface\"; } );
	};
};"
	nt_server_conf
	nt_server_check
}

# dora MAC [TRIES]: the bound address or "-"
dora() {
	local out
	out=$(nt_cli "$NT_PY" "$NT_HELPER" dora --iface "$NT_VC" --mac "$1" --timeout 1.5 \
		--tries "${2:-2}" 2>/dev/null)
	set -- $out
	echo "${2:--}"
}

stat() { nt_server_stats; nt_stat "$1"; }
SOCK=$NT_TMP/ctl.sock
ctl() { nt_ctl_raw "$SOCK" "$1"; }

# ---- run 1: one server ----------------------------------------------------
radius_conf deny "$RAD_MAIN_AUTH_PORT"
nt_server_start
a=$(dora "$MAC_IP");   nt_log "Framed-IP-Address client: $a"
[ "$a" = "$FIXED" ] || nt_fail "Framed-IP-Address client got $a, want $FIXED"
a=$(dora "$MAC_GOLD"); nt_log "Framed-Pool client: $a"
case $a in 198.18.0.5[0-9]) ;; *) nt_fail "Framed-Pool client got $a, want the gold pool" ;; esac
a=$(dora "$MAC_ANY");  nt_log "plain client: $a"
case $a in 198.18.0.1[0-9][0-9]) ;; *) nt_fail "plain client got $a, want the open pool" ;; esac
a=$(dora "$MAC_EXPR"); nt_log "Called-Station-Id (expr) client: $a"
[ "$a" = 198.18.0.160 ] || nt_fail "the expr attribute did not reach the server: got $a"
a=$(dora "$MAC_DATA"); nt_log "NAS-Identifier (data) client: $a"
[ "$a" = 198.18.0.161 ] || nt_fail "the data attribute did not reach the server: got $a"
asked=$(stat access-asked)
[ "$asked" = 5 ] || nt_fail "access-asked $asked after 5 clients, want 5 (one question each)"
# returning: cached, nothing asked
a=$(dora "$MAC_GOLD")
case $a in 198.18.0.5[0-9]) ;; *) nt_fail "returning Framed-Pool client got $a" ;; esac
[ "$(stat access-asked)" = 5 ] || nt_fail "a returning client was asked again"
# rejected, twice: no lease, one question
a=$(dora "$MAC_REJ" 1); b=$(dora "$MAC_REJ" 1)
[ "$a$b" = "--" ] || nt_fail "rejected client got '$a' '$b'"
rej=$(stat drop-access-rejected)
asked=$(stat access-asked)
nt_log "rejected: drop-access-rejected $rej, access-asked $asked"
[ "$rej" -ge 2 ] || nt_fail "drop-access-rejected $rej, want >= 2"
[ "$asked" = 6 ] || nt_fail "access-asked $asked: the rejected client was asked more than once"
# the RADIUS thread's per-server statistics: six requests, one rejected
# (the thread's copy, up to 250 ms old)
srv="radius-access[127.0.0.1:$RAD_MAIN_AUTH_PORT]"
per_server() {
	nt_server_stats
	req=$(nt_stat "$srv.requests") acc=$(nt_stat "$srv.accepts") rj=$(nt_stat "$srv.rejects")
	[ "$req" = 6 ] && [ "$acc" = 5 ] && [ "$rj" = 1 ]
}
nt_wait_for 3 "per-server statistics: 6 requests, 5 accepts, 1 reject" per_server
nt_log "$srv: requests $req, accepts $acc, rejects $rj"
# the host-cache commands: six clients cached (five accepted, one rejected)
A=$(ctl '{"command": "cache-size"}'); nt_log "cache-size: $A"
jq -e '.result == 0 and .arguments.size == 6' <<<"$A" >/dev/null || nt_fail "cache-size: $A"
A=$(ctl "{\"command\": \"cache-get-by-id\", \"arguments\": {\"hw-address\": \"$MAC_GOLD\"}}")
jq -e '.arguments[0].verdict == "accept" and .arguments[0]["client-classes"] == ["gold"]' \
	<<<"$A" >/dev/null || nt_fail "cache-get-by-id: $A"
A=$(ctl "{\"command\": \"cache-remove\", \"arguments\": {\"hw-address\": \"$MAC_GOLD\"}}")
jq -e '.result == 0' <<<"$A" >/dev/null || nt_fail "cache-remove: $A"
a=$(dora "$MAC_GOLD")
asked=$(stat access-asked)
[ "$asked" = 7 ] || nt_fail "access-asked $asked after cache-remove: the removed client was not asked again"
# a reload that keeps the radius block (another lifetime): accepted, and
# access goes on with the same block, caches and thread
NT_VALID=900
radius_conf deny "$RAD_MAIN_AUTH_PORT"
A=$(ctl '{"command": "config-reload"}'); nt_log "config-reload (radius kept): $A"
jq -e '.result == 0' <<<"$A" >/dev/null || nt_fail "a reload keeping radius was refused: $A"
a=$(dora "$MAC_EXPR")
[ "$a" = 198.18.0.160 ] || nt_fail "after the reload the cached client got $a"
a=$(dora 02:00:00:00:21:0a); nt_log "a new client after the reload: $a"
[ "$a" != - ] || nt_fail "a new client got nothing after the reload"
[ "$(stat access-asked)" = 8 ] || nt_fail "after the reload: access-asked $(nt_stat access-asked), want 8"
NT_VALID=
nt_server_stop

# ---- run 2: the first server silent, the second answers; then none --------
radius_conf serve "$RAD_SPARE_AUTH_PORT" "$RAD_MAIN_AUTH_PORT"
nt_server_start
a=$(dora "$MAC_IP"); nt_log "through the second server: $a"
[ "$a" = "$FIXED" ] || nt_fail "failover: got $a, want $FIXED from the second server"
# (the per-server counters are the thread's copy, up to 250 ms old)
spare_timed_out() { [ "$(stat "radius-access[127.0.0.1:$RAD_SPARE_AUTH_PORT].timeouts")" -ge 1 ]; }
nt_wait_for 3 "the silent server's timeout counted" spare_timed_out
rad_down main
a=$(dora 02:00:00:00:21:05); nt_log "no server, serve: $a"
case $a in 198.18.0.1[0-9][0-9]) ;; *) nt_fail "on-unreachable serve: got $a" ;; esac
nt_server_stop

# ---- run 3: no server, deny ----------------------------------------------
radius_conf deny "$RAD_MAIN_AUTH_PORT"
nt_server_start
a=$(dora 02:00:00:00:21:06); nt_log "no server, deny: $a"
[ "$a" = - ] || nt_fail "on-unreachable deny: the client got $a"
# a changed radius block is refused on reload; the old one keeps serving
radius_conf serve "$RAD_MAIN_AUTH_PORT"
A=$(ctl '{"command": "config-reload"}'); nt_log "config-reload: $A"
jq -e '.result == 1 and (.text | test("radius cannot change"))' <<<"$A" >/dev/null ||
	nt_fail "a reload that changes radius was not refused: $A"
a=$(dora 02:00:00:00:21:09 1)
[ "$a" = - ] || nt_fail "after the refused reload the client got $a (on-unreachable is still deny)"
nt_server_stop
exit 0
