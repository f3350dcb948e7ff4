#!/bin/bash
# Malformed DHCP frames (dhcp_malformed.py: truncated header, bad magic,
# option length past the end, missing or bad option 53, hlen 200, overload
# pointing at garbage, empty UDP payload to port 67, broken IP/UDP ...) sent
# from the client namespace.  The server must survive and still serve good
# clients.  Peregrine: pkt4-parse-failed must grow by exactly the number of
# frames that reach the DHCP parser (kind "parser" in the corpus); the
# frames broken below DHCP (kind "net") must not be counted there.  Kea: it
# must still serve; its counters are only shown.
# Usage: dhcp_malformed.sh BUILDDIR [peregrine|kea]   (or SERVER=kea in the environment)
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
nt_topology
nt_server_conf
nt_server_check
nt_server_start

nt_server_stats "$NT_TMP/stats0"
REPEAT=3
nt_cli "$NT_PY" "$NT_SRCDIR/tests/integration/dhcp_malformed.py" --iface "$NT_VC" \
	--repeat $REPEAT >"$NT_TMP/malformed.out" || nt_fail "sending the corpus"
read -r _ NPARSER _ NNET _ NSLOPPY < <(tail -1 "$NT_TMP/malformed.out")
nt_log "sent $NPARSER frames for the parser, $NNET broken below DHCP, $NSLOPPY sloppy"
[ "$NPARSER" -gt 0 ] || nt_fail "corpus empty"
sleep 1
nt_alive "$NT_SRV_PID" || nt_fail "server died on malformed input"

# A good client must still get a lease, with and without client-id.
nt_dora --mac 02:00:00:00:77:01 >"$NT_TMP/good.txt" &&
	nt_dora --mac 02:00:00:00:77:02 --client-id >>"$NT_TMP/good.txt" ||
	nt_fail "a good client got no lease after the malformed frames"
cat "$NT_TMP/good.txt" >&2
[ "$(nt_leases | wc -l)" = 2 ] || nt_fail "not 2 valid leases after the good clients"

nt_server_stats "$NT_TMP/stats1"
for s in pkt4-received pkt4-parse-failed pkt4-receive-drop pkt4-ack-sent; do
	nt_log "$s: $(nt_stat $s "$NT_TMP/stats0") -> $(nt_stat $s "$NT_TMP/stats1")"
done
if [ "$SERVER" = peregrine ]; then
	PF=$(($(nt_stat pkt4-parse-failed "$NT_TMP/stats1") -
		$(nt_stat pkt4-parse-failed "$NT_TMP/stats0")))
	[ "$PF" = "$NPARSER" ] ||
		nt_fail "pkt4-parse-failed grew by $PF, want $NPARSER (the 'parser' frames)"
	[ "$(nt_stat pkt4-ack-sent "$NT_TMP/stats1")" -ge 2 ] || nt_fail "pkt4-ack-sent < 2"
fi
exit 0
