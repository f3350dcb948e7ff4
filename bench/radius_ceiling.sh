#!/bin/bash
# How fast can RADIUS access go, and through which client (issue 17,
# docs/radius-plan.md "Library"; the table is in BENCHMARKS.md "RADIUS"):
#
#   bench/radius_ceiling.sh [BUILDDIR]
#
# One FreeRADIUS 3.2 on 127.0.0.1 (scripts/radtest.sh: accepts everybody
# with no attributes, no auth log, no detail for Access-Requests), then,
# each a median of RUNS runs of Access-Requests with distinct User-Names:
#
#   radclient -p 1, 32, 256   FreeRADIUS's own tool: its rate is the
#                             ceiling the issue asks for.  It keeps every
#                             request of its file in a list that it walks
#                             per packet, so its own CPU grows with the
#                             square of the file (-p 1: 300 requests take
#                             0.1 s, 5000 take 28 s): RAD_RC_N requests a run
#   radclient x4 -p 32        four of them at once: FreeRADIUS with more load
#                             than one radclient gives it
#   radcli, 1 2 4 16 threads  bench/rad_radcli: radcli's blocking rc_auth,
#                             one handle and one request in flight per thread
#   rad_probe -c 1 32 256     the asynchronous client (radius/rad_client.c),
#                             when build/radius/rad_probe exists
#
# A request lost (a full socket buffer on a busy machine) costs its
# client one timeout: radclient and radcli both wait 1 s, then send again
# (3 tries), so a run with a loss shows as a slow run, not as a failure.
#
# Knobs: RAD_RC_N (2000), RAD_BENCH_N (requests per radcli / rad_probe run,
# 10000), RUNS (3).  Prints a markdown table.  Everything runs on this
# machine's loopback, bounded (each run by `timeout 120`); the server is
# stopped by pid when the script ends, however it ends.
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$(cd "${1:-$SRCDIR/build}" && pwd) || exit 1
RC_N=${RAD_RC_N:-2000}
N=${RAD_BENCH_N:-10000}
RUNS=${RUNS:-3}
NT_NAME=radius_ceiling
export RAD_DEFAULT=accept
. "$SRCDIR/scripts/radtest.sh"

RADCLI="$BUILDDIR/bench/rad_radcli"
RL_PROBE="$BUILDDIR/radius/rad_probe"
RL_N=$RC_N
ROWS=()
. "$SRCDIR/bench/radius_lib.sh"

rad_start bench
RL_WORK=$(mktemp -d /tmp/pgt-radbench.XXXXXX) || rad_die "mktemp"
trap 'rad_cleanup; rm -rf "$RL_WORK"' EXIT
rl_requests
SERVER="127.0.0.1:$RAD_AUTH_PORT"

# row CLIENT INFLIGHT REQUESTS CMD...: RUNS runs of CMD (printing a rate),
# one table row with the median and every run.
row() {
	local client=$1 inflight=$2 n=$3 r rates=()
	shift 3
	for ((i = 0; i < RUNS; i++)); do
		r=$("$@") || exit 1
		[ -n "$r" ] || rad_die "$client $inflight: no rate"
		rates+=("$r")
	done
	ROWS+=("| $client | $inflight | $n | $(rl_median "${rates[@]}") | $(printf '%.0f ' "${rates[@]}")|")
	rad_log "$client, $inflight in flight: $(rl_median "${rates[@]}")/s (${rates[*]})"
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for p in 1 32 256; do
	row radclient "$p" "$RC_N" rl_radclient "$p" 1
done
row "radclient x4" "4 x 32" "4 x $RC_N" rl_radclient 32 4
if [ -x "$RADCLI" ]; then
	for t in 1 2 4 16; do
		row "radcli ($t thread$([ "$t" = 1 ] || echo s))" "$t" "$N" \
			rl_rate_of "$RADCLI" -s "$SERVER" -k "$RAD_SECRET" -n "$N" -t "$t"
	done
else
	rad_log "no $RADCLI (libradcli-dev missing at build time): radcli not measured"
fi
if [ -x "$RL_PROBE" ]; then
	for c in 1 32 256; do
		row "rad_probe" "$c" "$N" rl_probe "$N" "$c"
	done
else
	rad_log "no $RL_PROBE yet: the asynchronous client not measured"
fi

echo
echo "RADIUS Access-Request rate against FreeRADIUS $(freeradius -v | sed -n 's/.*Version \([0-9.]*\).*/\1/p;q'), $(date +%F), $(nproc) cores, load before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| client | in flight | requests per run | requests/s (median of $RUNS) | runs |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
