#!/bin/bash
# RADIUS accounting (issue 17 item 3) against a real FreeRADIUS in the
# server's namespace (scripts/radtest.sh; its detail file records every
# Accounting-Request it answered), end to end from scapy clients:
#  1. DORA -> a Start with the client's Framed-IP-Address, User-Name its
#     MAC (identifier-type4 hw-address), the fixed NAS-Identifier;
#  2. the same client again (a renewal) -> an Interim-Update with the
#     same Acct-Session-Id;
#  3. RELEASE -> a Stop with the same session id, Acct-Terminate-Cause
#     User-Request;
#  4. a DHCPv6 client (SARR) -> a Start with Framed-IPv6-Address;
#  5. an outage (FreeRADIUS down): a client's DORA and RELEASE during it;
#     the server back -> their Start and Stop arrive afterwards, in that
#     order, and the server logged that >= 2 records waited on disk when
#     accounting answered again (the counters are radius_run_acct_stats;
#     the control channel does not show them yet).
# Usage: radius_acct.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
. "$(dirname "$0")/../../scripts/netns6.sh"
nt6_init "$@"
nt_need freeradius
. "$NT_SRCDIR/scripts/radtest.sh"
ACCT_PY="$NT_SRCDIR/tests/integration/radius_acct.py"

MAC1=02:00:00:00:22:01
MAC2=02:00:00:00:22:02
nt_topology
RAD_NETNS=$NT_SRV
rad_start main

nt6_conf '{ id = 1; subnet = "2001:db8:1::/64"; interface = "eth0";
	    pools = ( { pool = "2001:db8:1::100 - 2001:db8:1::1ff"; } ); }'
NT_EXTRA_CONF="$NT_EXTRA_CONF
radius = {
	identifier-type4 = \"hw-address\";
	timeout = 0.3; retries = 1; deadtime = 0;
	accounting-queue = \"$NT_TMP/acct.queue\";
	accounting = {
		servers = ( { name = \"127.0.0.1\"; port = $RAD_MAIN_ACCT_PORT; secret = \"$RAD_MAIN_SECRET\"; } );
		attributes = ( { name = \"NAS-Identifier\"; data = \"pg-acct-test\"; } );
	};
};"
nt_server_conf
nt_server_check
nt_server_start
SRV_MAC=$(tail -1 "$NT_TMP/arp.out")
LOG="$NT_TMP/server$NT_SERVER_RUN.log"

# dora MAC: the bound address or "-"
dora() {
	local out
	out=$(nt_cli "$NT_PY" "$NT_HELPER" dora --iface "$NT_VC" --mac "$1" --timeout 1.5 \
		--tries 2 2>/dev/null)
	set -- $out
	echo "${2:--}"
}

release() {
	nt_cli "$NT_PY" "$ACCT_PY" release --iface "$NT_VC" --mac "$1" --addr "$2" \
		--server "$NT_SERVER_IP" --server-mac "$SRV_MAC" || nt_fail "RELEASE not sent"
}

# records: one line per record of the detail file, in order:
# "status session-id address user-name terminate-cause nas-identifier"
records() {
	awk 'BEGIN { RS = ""; FS = "\n" }
	{
		st = sid = ip = user = cause = nas = "-"
		for (i = 1; i <= NF; i++) {
			line = $i; sub(/^[ \t]+/, "", line)
			n = index(line, " = "); if (!n) continue
			k = substr(line, 1, n - 1); v = substr(line, n + 3); gsub(/"/, "", v)
			if (k == "Acct-Status-Type") st = v
			else if (k == "Acct-Session-Id") sid = v
			else if (k == "Framed-IP-Address" || k == "Framed-IPv6-Address") ip = v
			else if (k == "User-Name") user = v
			else if (k == "Acct-Terminate-Cause") cause = v
			else if (k == "NAS-Identifier") nas = v
		}
		print st, sid, ip, user, cause, nas
	}' "$RAD_DETAIL" 2>/dev/null
}

# wait_records N: until the detail file holds N records (10 s)
wait_records() {
	local deadline=$((SECONDS + 10))
	until [ "$(records | wc -l)" -ge "$1" ]; do
		[ "$SECONDS" -ge "$deadline" ] && { records >&2; nt_fail "not $1 accounting records"; }
		sleep 0.1
	done
}

# rec N: record N (1-based) as "status sid ip user cause nas"
rec() { records | sed -n "${1}p"; }

# ---- 1-3: one v4 session --------------------------------------------------
A1=$(dora "$MAC1")
case $A1 in 198.18.0.1[0-9][0-9]) ;; *) nt_fail "client 1 got $A1" ;; esac
wait_records 1
read -r st sid ip user cause nas <<<"$(rec 1)"
nt_log "DORA: $st $sid $ip $user $nas"
[ "$st" = Start ] && [ "$ip" = "$A1" ] || nt_fail "record 1 is '$st $ip', want 'Start $A1'"
[ "$user" = "$MAC1" ] || nt_fail "User-Name '$user', want $MAC1"
[ "$nas" = pg-acct-test ] || nt_fail "the fixed NAS-Identifier is missing ('$nas')"
SID1=$sid
[ "${#SID1}" = 16 ] || nt_fail "Acct-Session-Id '$SID1' is not 16 hex digits"

[ "$(dora "$MAC1")" = "$A1" ] || nt_fail "the renewal did not keep $A1"
wait_records 2
read -r st sid ip _ <<<"$(rec 2)"
nt_log "renewal: $st $sid $ip"
[ "$st" = Interim-Update ] || nt_fail "record 2 is $st, want Interim-Update"
[ "$sid" = "$SID1" ] && [ "$ip" = "$A1" ] || nt_fail "Interim-Update of $sid/$ip, want $SID1/$A1"

release "$MAC1" "$A1"
wait_records 3
read -r st sid ip _ cause _ <<<"$(rec 3)"
nt_log "RELEASE: $st $sid $ip $cause"
[ "$st" = Stop ] || nt_fail "record 3 is $st, want Stop"
[ "$sid" = "$SID1" ] && [ "$ip" = "$A1" ] || nt_fail "Stop of $sid/$ip, want $SID1/$A1"
[ "$cause" = User-Request ] || nt_fail "Acct-Terminate-Cause '$cause', want User-Request"

# ---- 4: DHCPv6 -------------------------------------------------------------
out=$(nt_cli "$NT_PY" "$NT_HELPER" sarr6 --iface "$NT_VC" --count 1 --mac-base 02:00:00:00:22:60) ||
	nt_fail "SARR failed"
read -r _ A6 <<<"$out"
wait_records 4
read -r st sid ip _ <<<"$(rec 4)"
nt_log "SARR: $A6 -> $st $sid $ip"
[ "$st" = Start ] && [ "$ip" = "$A6" ] || nt_fail "record 4 is '$st $ip', want 'Start $A6'"
[ "$sid" != "$SID1" ] || nt_fail "the v6 lease has the v4 session's id"

# the accounting server's own counters (the thread's copy, <= 250 ms old)
acct_srv="radius-accounting[127.0.0.1:$RAD_MAIN_ACCT_PORT]"
acct_answered() { nt_server_stats; [ "$(nt_stat "$acct_srv.responses")" -ge 4 ]; }
nt_wait_for 3 "$acct_srv.responses >= 4" acct_answered

# ---- 5: an outage ------------------------------------------------------------
rad_down main
A2=$(dora "$MAC2")
case $A2 in 198.18.0.1[0-9][0-9]) ;; *) nt_fail "client 2 got $A2 during the outage" ;; esac
release "$MAC2" "$A2"
nt_wait_for 10 "the outage in the server's log" grep -q 'radius accounting: no server answers' "$LOG"
sleep 0.5
[ "$(records | wc -l)" = 4 ] || nt_fail "records while FreeRADIUS was down?"
nt_server_stats
bl=$(nt_stat radius-accounting-backlog)
nt_log "radius-accounting-backlog during the outage: $bl"
[ "$bl" -ge 2 ] || nt_fail "radius-accounting-backlog $bl during the outage, want >= 2"
rad_start main
wait_records 6
read -r st sid ip _ <<<"$(rec 5)"
read -r st2 sid2 ip2 _ <<<"$(rec 6)"
nt_log "after the outage: $st $sid $ip / $st2 $sid2 $ip2"
[ "$st $ip" = "Start $A2" ] || nt_fail "record 5 is '$st $ip', want 'Start $A2'"
[ "$st2 $ip2" = "Stop $A2" ] || nt_fail "record 6 is '$st2 $ip2', want 'Stop $A2'"
[ "$sid" = "$sid2" ] && [ "$sid" != "$SID1" ] || nt_fail "outage session ids $sid / $sid2"
nt_wait_for 5 "the end of the outage in the server's log" \
	grep -q 'radius accounting: a server answers again' "$LOG"
backlog=$(sed -n 's/.*a server answers again after .* s; \([0-9]*\) record(s) waited.*/\1/p' "$LOG" | tail -1)
nt_log "$(grep 'a server answers again' "$LOG" | tail -1)"
[ "${backlog:-0}" -ge 2 ] || nt_fail "backlog during the outage '$backlog', want >= 2 (a Start and a Stop)"
nt_server_stop || nt_fail "the server did not stop cleanly"
grep -q 'radius accounting: .* 0 left on disk' "$LOG" || nt_fail "records left on disk at stop"
[ "$(records | wc -l)" = 6 ] || { records >&2; nt_fail "more records than the 6 expected"; }
exit 0
