#!/bin/bash
# lease4-wipe while clients keep taking leases, in commit mode.  perfdhcp
# runs a bounded DORA load (200/s, 2400 exchanges, new clients all the
# time); in the middle, lease4-wipe of the subnet must answer success
# within 5 s with about the leases there were, not the whole load's.
# Then the clients that came after keep their leases, the statistics agree
# with the lease file, and a second wipe empties both.
# (At this rate a pass rarely sees a lease bound during the previous one,
# so the old repeat-until-nothing loop, which chased such leases for its
# 20 s bound, passes here too; dhcp4_server_test checks the "left for
# lack of room" count the loop now depends on.)
# Usage: wipe_load.sh BUILDDIR
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
[ "$SERVER" = peregrine ] || nt_skip "peregrine's lease commands"
nt_need /usr/sbin/perfdhcp jq
NT_PLEN=20
RATE=200 NUM=2400
nt_topology
SOCK="$NT_TMP/ctl.sock"
NT_POOL="198.18.1.0 - 198.18.15.254" nt_server_conf
echo "control-socket = { socket-name = \"$SOCK\"; };" >>"$NT_CONF"
ctl() {
	nt_ctl_raw "$SOCK" "$1" 30
}
assigned() {
	ctl '{"command": "statistic-get", "arguments": {"name": "subnet[1].assigned-addresses"}}' |
		jq '.arguments["subnet[1].assigned-addresses"][0][0]'
}
nt_server_check
nt_server_start

nt_bg perfdhcp "$NT_CLI" /usr/sbin/perfdhcp -4 -l "$NT_VC" -r "$RATE" -n "$NUM" -p 30 \
	-R 16000000 -s 11 -u -W 2000000 -x e
PERF=$NT_LAST_PID
sleep 4
BEFORE=$(assigned)
T0=$(date +%s%N)
A=$(ctl '{"command": "lease4-wipe", "arguments": {"subnet-id": 1}}')
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
N=$(jq -r '.text' <<<"$A" | awk '/^Deleted/ { print $2 }')
nt_log "wipe under load: ${MS} ms, $(jq -c . <<<"$A") (assigned before: $BEFORE)"
[ "$(jq .result <<<"$A")" = 0 ] || nt_fail "lease4-wipe under load: $A"
[ "$MS" -lt 5000 ] || nt_fail "lease4-wipe under load took $MS ms"
# it deleted what was there when it ran: about the leases before it,
# never the whole load's
[ -n "$N" ] && [ "$N" -ge "$((BEFORE / 2))" ] && [ "$N" -lt "$NUM" ] ||
	nt_fail "lease4-wipe count $N (assigned before it: $BEFORE, load $NUM)"

nt_wait_exit "$PERF" 60
rc=$?
[ "$rc" = 0 ] || { cat "$NT_TMP/perfdhcp.log" >&2; nt_fail "perfdhcp exit status $rc"; }
AFTER=$(assigned)
NLEASES=$(nt_leases | wc -l)
nt_log "after the load: assigned $AFTER, valid leases in the file $NLEASES"
[ "$AFTER" = "$NLEASES" ] && [ "$AFTER" -gt 0 ] ||
	nt_fail "assigned-addresses $AFTER, lease file $NLEASES"
A=$(ctl '{"command": "lease4-wipe", "arguments": {"subnet-id": 1}}')
[ "$(jq -r .text <<<"$A" | awk '{ print $2 }')" = "$NLEASES" ] || nt_fail "second wipe: $A"
[ "$(assigned)" = 0 ] || nt_fail "leases left after the second wipe"
nt_server_stop || nt_fail "server exit status $?"
[ "$(nt_leases | wc -l)" = 0 ] || nt_fail "valid leases left in the file"
NT_RESULT=pass
exit 0
