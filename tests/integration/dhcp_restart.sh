#!/bin/bash
# Clients get leases; the server is stopped with SIGTERM (must exit 0) and
# started again on the same lease file; the same clients (same MACs, one
# half with a client-id) must get the same addresses back.
# Usage: dhcp_restart.sh BUILDDIR [peregrine|kea]   (or SERVER=kea in the environment)
. "$(dirname "$0")/../../scripts/netns.sh"
nt_init "$@"
nt_topology
nt_server_conf
nt_server_check
nt_server_start

N=20
round() {
	nt_dora --count $((N / 2)) --mac-base 02:00:00:00:10:00 >"$NT_TMP/$1.txt" &&
		nt_dora --count $((N / 2)) --mac-base 02:00:00:00:20:00 --client-id \
			>>"$NT_TMP/$1.txt"
}
round first || nt_fail "first round of DORA"
[ "$(wc -l <"$NT_TMP/first.txt")" = $N ] || nt_fail "not $N leases in round one"
# every address in the pool, and all distinct
awk '{ split($2, a, "."); if (a[1] != 198 || a[2] != 18 || a[3] != 0 ||
	a[4] < 100 || a[4] > 199) { print "out of pool: " $0; bad = 1 } }
	END { exit bad }' "$NT_TMP/first.txt" || nt_fail "address outside the pool"
[ "$(awk '{ print $2 }' "$NT_TMP/first.txt" | sort -u | wc -l)" = $N ] ||
	nt_fail "duplicate addresses in round one"
[ "$(nt_leases | wc -l)" = $N ] || nt_fail "lease file does not hold $N valid leases"

nt_server_stop
rc=$?
[ "$rc" = 0 ] || nt_fail "server exit status $rc after SIGTERM (want 0)"
nt_log "server stopped cleanly; restarting on the same lease file"
nt_server_start

round second || nt_fail "second round of DORA"
if ! diff <(awk '{ print $1, $2 }' "$NT_TMP/first.txt") \
	<(awk '{ print $1, $2 }' "$NT_TMP/second.txt") >&2; then
	nt_fail "clients got different addresses after the restart"
fi
[ "$(nt_leases | wc -l)" = $N ] || nt_fail "lease count changed after restart"
nt_server_stats
nt_log "assigned-addresses: $(nt_stat 'subnet[1].assigned-addresses')"
[ "$(nt_stat 'subnet[1].assigned-addresses')" = $N ] ||
	nt_fail "subnet[1].assigned-addresses is not $N after the restart"
exit 0
