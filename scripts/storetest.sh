# shellcheck shell=bash disable=SC2034 # NT_* are scripts/netns.sh's knobs
# What the lease-store tests share (tests/integration/redis_outage.sh,
# redis_shared.sh; the PostgreSQL ones run the same scenarios): source it
# after scripts/netns.sh and the store's own script (pgtest.sh,
# redistest.sh).
#
#   st_outage RATE OUTAGE BEFORE AFTER CRASH RESTART   # the store away under load
#   st_load NAME NS IFACE SEED MAC-BASE RATE SECS      # tcpdump + perfdhcp on one link
#   st_ackcheck PCAP CSV WHO                           # every ACK is a valid lease
#   st_server a|b LEASE-DB                             # server A, or B on a second pair
#   st_shared_away SOCK CRASH RESTART                  # a shared store away and back
#   st_shared_check                                    # after st_load a and b: the refusals
#   st_ctl_stat SOCK NAME                              # one statistic over a socket

# st_stat TAG NAME: the running server's statistic NAME, its whole dump
# kept in $NT_TMP/stats.TAG.
st_stat() { nt_server_stats "$NT_TMP/stats.$1" && nt_stat "$2" "$NT_TMP/stats.$1"; }

# st_outage RATE OUTAGE BEFORE AFTER CRASH RESTART: perfdhcp runs DORA at
# RATE/s for BEFORE + OUTAGE + AFTER seconds while tcpdump writes the
# server's replies to $ST_PCAP; after BEFORE seconds the command CRASH
# takes the store away, OUTAGE seconds later RESTART brings it back.
# Meanwhile the server must go on ACKing at 70 % of the offered rate at
# least, with lease-db-connected 0 and a journal backlog; once the store is
# back, the journal must be replayed (backlog 0, one outage counted).
# Returns when the load is over and its last changes are in the store.
st_outage() {
	local rate=$1 outage=$2 before=$3 crash=$5 restart=$6
	local tpid ppid secs n a1 a2 t0 backlog load=$(($3 + $2 + $4))
	# the server's replies only (OFFER, ACK; to perfdhcp's giaddr, port
	# 67): half the packets to read back
	ST_PCAP="$NT_TMP/replies.pcap"
	nt_bg tcpdump "$NT_CLI" "$(command -v tcpdump)" -i "$NT_VC" -n -U -s 0 -w "$ST_PCAP" \
		udp and src host "$NT_SERVER_IP" and src port 67
	tpid=$NT_LAST_PID
	nt_wait_for 10 "tcpdump to listen" grep -q 'listening on' "$NT_TMP/tcpdump.log"
	nt_bg perfdhcp "$NT_CLI" /usr/sbin/perfdhcp -4 -l "$NT_VC" -r "$rate" -p "$load" \
		-R 16000000 -s 7
	ppid=$NT_LAST_PID
	sleep "$before"
	n=$(st_stat before pkt4-ack-sent)
	[ "$n" -gt $((rate * (before - 2))) ] || nt_fail "only $n ACKs before the outage"
	"$crash"
	t0=$SECONDS
	sleep 3
	a1=$(st_stat during1 pkt4-ack-sent)
	[ "$(nt_stat lease-db-connected "$NT_TMP/stats.during1")" = 0 ] ||
		nt_fail "lease-db-connected is not 0 with the store down"
	# the log says that, and why (the store's own reason)
	grep -q "lease database .* is unreachable (.\+)" "$NT_TMP/server$NT_SERVER_RUN.log" ||
		nt_fail "no log line that the store is unreachable, with its reason"
	sleep $((outage - 5))
	a2=$(st_stat during2 pkt4-ack-sent)
	backlog=$(nt_stat lease-db-journal-backlog "$NT_TMP/stats.during2")
	secs=$((SECONDS - t0 - 3))
	nt_log "store down: $((a2 - a1)) ACKs in ${secs} s, journal backlog $backlog"
	# the offered rate, give or take the machine's noise
	[ $((a2 - a1)) -ge $((rate * secs * 7 / 10)) ] ||
		nt_fail "only $((a2 - a1)) ACKs in $secs s with the store down (offered $((rate * secs)))"
	[ "$backlog" -gt 0 ] || nt_fail "no journal backlog while the store is down"
	[ "$(nt_stat lease-db-connected "$NT_TMP/stats.during2")" = 0 ] ||
		nt_fail "lease-db-connected is not 0 with the store down"
	sleep $((outage - (SECONDS - t0)))
	"$restart"
	nt_wait_for 20 "the journal to be replayed" st_back
	nt_log "replayed $(nt_stat lease-db-replayed "$NT_TMP/stats.back") change(s);" \
		"outages $(nt_stat lease-db-outages "$NT_TMP/stats.back")"
	[ "$(nt_stat lease-db-outages "$NT_TMP/stats.back")" = 1 ] || nt_fail "lease-db-outages is not 1"
	[ "$(nt_stat lease-db-replayed "$NT_TMP/stats.back")" -ge "$backlog" ] ||
		nt_fail "fewer changes replayed than the backlog of $backlog"
	nt_wait_exit "$ppid" $((load + 20))
	sleep 1
	nt_stop "$tpid" 5
	# the last commits after the load
	nt_wait_for 10 "the last changes to commit" st_back
}

# st_back: the store is connected and the journal empty.
st_back() {
	[ "$(st_stat back lease-db-journal-backlog)" = 0 ] &&
		[ "$(nt_stat lease-db-connected "$NT_TMP/stats.back")" = 1 ]
}

# st_ackcheck PCAP CSV WHO: every (chaddr, yiaddr) of a DHCPACK in PCAP is a
# valid lease of that chaddr in CSV (a Kea v4 lease file written from the
# store), and there was an ACK; else the test fails.
st_ackcheck() {
	local out rc
	out="$NT_TMP/ackcheck-$(basename "$1" .pcap).out"
	timeout 120 "$NT_PY" "$NT_HELPER" ackcheck "$1" "$2" >"$out" 2>&1
	rc=$?
	grep MISSING "$out" | head -20 >&2
	nt_log "$3: $(tail -1 "$out")"
	[ "$rc" = 0 ] || nt_fail "$3: an ACKed lease is not its client's valid lease in the store"
}

# st_load NAME NS IFACE SEED MAC-BASE RATE SECS: tcpdump of the link's
# DHCP to $NT_TMP/NAME.pcap, then perfdhcp in NS at RATE/s for SECS s with
# its own random seed and MAC base; their pids in T_NAME and P_NAME.
st_load() {
	nt_bg "tcpdump-$1" "$2" "$(command -v tcpdump)" -i "$3" -n -U -s 0 \
		-w "$NT_TMP/$1.pcap" udp and \( port 67 or port 68 \)
	eval "T_$1=\$NT_LAST_PID"
	nt_wait_for 10 "tcpdump $1" grep -q 'listening on' "$NT_TMP/tcpdump-$1.log"
	nt_bg "perfdhcp-$1" "$2" /usr/sbin/perfdhcp -4 -l "$3" -r "$6" -p "$7" -R 1000000 \
		-s "$4" -b "mac=$5"
	eval "P_$1=\$NT_LAST_PID"
}

# st_server a|b LEASE-DB: server A on the harness's namespaces, or B on a
# second pair with its own DPDK prefix and statistics file, each on
# LEASE-DB with its control socket in $NT_TMP/a.sock or b.sock (and
# ST_EXTRA_CONF's keys, when set, in its configuration); sets
# A_/B_PID, _CLI, _VC.  After B the harness's variables name B's.
st_server() {
	local up=${1^^}
	if [ "$1" = b ]; then
		NT_SRV="pgt-$NT_ID-srv2" NT_CLI="pgt-$NT_ID-cli2" NT_VS="pgs${NT_ID}b" NT_VC="pgc${NT_ID}b"
		NT_DPDK_PREFIX="pg-test-$NT_ID-b" NT_STATS="$NT_TMP/stats.b"
	fi
	NT_LEASE_DB=$2
	nt_topology
	NT_EXTRA_CONF="control-socket = { socket-name = \"$NT_TMP/$1.sock\"; };${ST_EXTRA_CONF:-}"
	nt_server_conf
	nt_server_check
	nt_server_start
	eval "${up}_PID=\$NT_SRV_PID ${up}_CLI=\$NT_CLI ${up}_VC=\$NT_VC"
}

# st_shared_away SOCK CRASH RESTART: the shared store goes away (CRASH)
# under the server of control socket SOCK, on the harness's link: nothing
# is acknowledged without it (no journal with shared = true: other
# servers' claims would be unknown) and DHCP service stops (on-fail
# stop-retry-exit); RESTART brings it back and the server serves again:
# the client that got nothing meanwhile gets a lease, in $NT_TMP/up.txt
# (pgtest.py dora's line).  The address offered may be another server's
# that this one has not learnt yet: the store refuses it and the client
# gets a NAK, as any client would, and starts over; the server learnt
# that address, so it is never offered again.
st_shared_away() {
	local sock=$1 try
	"$2"
	if nt_dora --count 1 --mac-base 02:00:00:00:a0:00 --timeout 4 >"$NT_TMP/down.txt" 2>&1; then
		nt_fail "the server ACKed while the shared store was away"
	fi
	[ "$(st_ctl_stat "$sock" lease-db-connected)" = 0 ] || nt_fail "lease-db-connected is not 0"
	"$3"
	nt_wait_for 30 "the server to see the store again" st_connected "$sock"
	for try in 1 2 3 4 5 6 7 8; do
		nt_dora --count 1 --mac-base 02:00:00:00:a0:00 >"$NT_TMP/up.txt" 2>"$NT_TMP/up.err" && break
		cat "$NT_TMP/up.err" >&2
		grep -q 'FAILED NAK for' "$NT_TMP/up.err" || nt_fail "no lease once the store is back"
		cat "$NT_TMP/up.err" >>"$NT_TMP/naks.txt"
		[ "$try" = 8 ] && nt_fail "8 NAKs in a row once the store is back"
	done
	[ -z "$(awk '{ print $NF }' "$NT_TMP/naks.txt" 2>/dev/null | sort | uniq -d)" ] ||
		nt_fail "an address was refused, NAKed and then offered again"
}

# st_shared_check: after a load on servers a and b (st_load, pcaps in
# $NT_TMP/a.pcap, b.pcap) sharing one store: their claims collided (some
# refused, some foreign lease learnt), every refused request was served
# again at once (the address is the other's now, so the client gets a NAK
# and starts over, not silence), and pkt4-ack-sent is the ACKs on the wire
# (what left, as Kea counts: not the refused replies).  The statistics in
# S[server.name].
st_shared_check() {
	local s v d g n
	declare -gA S
	for s in a b; do
		for v in lease-db-refused leases-learnt-foreign dp-drop-lease-refused pkt4-nak-sent \
			dp-lease-refused-served-again pkt4-ack-sent; do
			S[$s.$v]=$(st_ctl_stat "$NT_TMP/$s.sock" $v)
		done
		nt_log "server $s: ACKs ${S[$s.pkt4-ack-sent]}, refused ${S[$s.lease-db-refused]}" \
			"(learnt ${S[$s.leases-learnt-foreign]}, replies dropped" \
			"${S[$s.dp-drop-lease-refused]}, served again" \
			"${S[$s.dp-lease-refused-served-again]}, NAKs ${S[$s.pkt4-nak-sent]})"
		d=${S[$s.dp-drop-lease-refused]} g=${S[$s.dp-lease-refused-served-again]}
		[ "$g" = "$d" ] || nt_fail "server $s: $d refused replies dropped, $g served again"
		[ "${S[$s.pkt4-nak-sent]}" -ge "$d" ] ||
			nt_fail "server $s: refused REQUESTs were not answered with a NAK"
		n=$(timeout 60 "$NT_PY" "$NT_HELPER" acks "$NT_TMP/$s.pcap" | wc -l)
		[ "$n" = "${S[$s.pkt4-ack-sent]}" ] ||
			nt_fail "server $s: pkt4-ack-sent ${S[$s.pkt4-ack-sent]}, but $n ACKs on the wire"
	done
	[ $((S[a.lease-db-refused] + S[b.lease-db-refused])) -gt 0 ] ||
		nt_fail "no claim was refused: the servers never collided"
	[ $((S[a.leases-learnt-foreign] + S[b.leases-learnt-foreign])) -gt 0 ] ||
		nt_fail "no foreign lease was learnt from a refusal"
}

st_connected() { [ "$(st_ctl_stat "$1" lease-db-connected)" = 1 ]; }

# st_ctl_stat SOCK NAME: statistic NAME over control socket SOCK (0 when
# absent).
st_ctl_stat() {
	nt_ctl_raw "$1" "{\"command\": \"statistic-get\", \"arguments\": {\"name\": \"$2\"}}" |
		jq -r --arg n "$2" '.arguments[$n][0][0] // 0'
}
