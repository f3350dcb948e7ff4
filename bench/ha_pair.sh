#!/bin/bash
# shellcheck disable=SC2086,SC2317,SC2034 # "set -- $spec" splits on purpose; cl_search calls run_hagen; netns.sh reads NT_RESULT
# An HA pair's DORA/s against the single server's, same topology, same run
# (issue 16's target: pair ÷ single ≥ 0.8; Kea 2.0 hot-standby: 0.48 in
# ISC's measurement).  The HA topology of scripts/hatest.sh: the clients on
# a bridge, each server's port on it, the peer link on its own veth pair;
# peregrine-bench on a port of its own on the bridge (ha_gen_port), direct
# broadcast clients, so both servers of a pair see every query as on a
# shared segment.  For each row the maximum sustained DORA/s with under 1%
# drops, found as bench/compare.sh does (cl_search: x1.5 steps, then
# bisection).  Rows, in this order in each round:
#
#   peregrine single          ha_peregrine_conf minus the high-availability block
#   peregrine hot-standby     the pair (server 1 primary answers)
#   peregrine load-balancing  the pair (each answers its hash scope)
#   kea single                kea-dhcp4 2.2 minus libdhcp_ha (lease_cmds kept)
#   kea hot-standby           the Kea 2.2 pair
#   peregrine+kea hot-standby a mixed pair: Peregrine primary, Kea 2.2
#                             standby (as integ-ha_mixed starts one)
#   kea+peregrine hot-standby Kea 2.2 primary, Peregrine standby
#
# Each round measures every row once, side by side; the report gives per
# row the median of the rounds and the median of the per-round ratios pair
# ÷ single (the ratio of two rows measured a minute apart is steadier on
# a noisy machine than either number).  A mixed pair's ratio is to its
# primary's single row: the primary answers every client, the standby
# only takes its updates.
#
#   sudo bench/ha_pair.sh [options] BUILDDIR
#     --rounds N     (default 3)
#     --step S       seconds per rate step (default 4)
#     --only REGEX   only the rows whose "server mode" match (the single
#                    rows are needed for the ratios)
#     --lcores S1/S2 Peregrine server 1's and server 2's EAL lcores (default
#                    "0,1" for both, as ha_peregrine_conf: both workers on
#                    CPU 1); e.g. "0,1/0@1,1@0" puts server 2's worker on
#                    CPU 0, beside the generator
#     --json FILE    one JSON line per row and round (cl_search's)
#     --table FILE   the medians as a markdown table
#
# Needs root.  Every process is started through scripts/netns.sh and
# stopped by PID; each step of the generator runs under timeout(1).
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=3 STEP=4 ONLY="" JSON="" TABLE="" SMOKE=0 ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--step) STEP=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--lcores) HB_LCORES=$2; shift ;;
	--json) JSON=$2; shift ;;
	--table) TABLE=$2; shift ;;
	-h | --help) sed -n '2,42p' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
. "$SRC/scripts/netns.sh"
. "$SRC/scripts/hatest.sh"
. "$SRC/bench/compare_lib.sh"
. "$SRC/bench/ha_lib.sh"
NT_NAME=ha_pair
nt_init "${ARGS[0]:-$SRC/build}" peregrine
NT_KEA=/usr/sbin/kea-dhcp4
SPECS=("peregrine single 2000" "peregrine hot-standby 2000" "peregrine load-balancing 2000"
	"kea single 500" "kea hot-standby 500"
	"peregrine+kea hot-standby 500" "kea+peregrine hot-standby 500")
want() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }
KINDS=""
for s in "${SPECS[@]}"; do
	set -- $s
	want "$1 $2" && KINDS="$KINDS ${1//+/ }"
done
hb_need "$KINDS"
trap 'rc=$?; hb_pair_clean; (exit $rc); nt_cleanup' EXIT
ha_topology
ha_gen_port
[ -n "$JSON" ] && : >"$JSON"

# cl_search's hooks (bench/compare_lib.sh)
srv_start() {   # KIND single|hot-standby|load-balancing; KIND K1+K2: a mixed pair
	if [ "$2" = single ]; then hb_single_start "$1"; else hb_pair_start "$1" "$2"; fi
}
srv_stop() { hb_stop; }
run_hagen() { hb_gen "$1" "$2" "$TAG" "$NT_TMP/gen.json"; }

for r in $(seq 1 "$ROUNDS"); do
	CL_ROUND=$r
	for s in "${SPECS[@]}"; do
		set -- $s
		want "$1 $2" || continue
		cl_search "$1" "$2" hagen "$3"
		nt_log "round $r: $1 $2: ${ROWS[-1]}"
	done
done

# ROWS: "kind|mode|gen|best|p99_us|wrong|load", ROUNDS rows per spec in order.
printf '%s\n' "${ROWS[@]}" >"$NT_TMP/rows"
{
	echo "| server | mode | max DORA/s (<1% drops), median of $ROUNDS | per round | ÷ single (median of per-round ratios) | p99 at it | duplicates |"
	echo "|---|---|---:|---|---:|---:|---:|"
	awk -F'|' '
		{ n[$1 "|" $2]++; i = n[$1 "|" $2]; v[$1 "|" $2, i] = $4; p[$1 "|" $2, i] = $5
		  w[$1 "|" $2] += $6; if (!seen[$1 "|" $2]++) order[++k] = $1 "|" $2 }
		function med(a, m,   i, j, t) {
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		}
		END {
			for (o = 1; o <= k; o++) {
				key = order[o]; split(key, kk, "|"); m = n[key]; list = ""
				delete a; delete q; delete rr
				for (i = 1; i <= m; i++) {
					a[i] = v[key, i] + 0; q[i] = p[key, i] + 0
					list = list (i > 1 ? ", " : "") v[key, i]
					split(kk[1], pk, "+"); s = pk[1] "|single"
					if ((s, i) in v && v[s, i] > 0) rr[++nr[key]] = v[key, i] / v[s, i]
				}
				ratio = nr[key] ? sprintf("%.2f", med(rr, nr[key])) : "—"
				split(kk[1], pk, "+")
				name = kk[1] ~ /\+/ ? pk[1] " primary + " pk[2] " standby" : kk[1]
				printf "| %s | %s | %.0f | %s | %s | %.1f ms | %d |\n", name, kk[2], med(a, m), list,
					ratio, med(q, m) / 1000, w[key]
			}
		}' "$NT_TMP/rows"
} >"$NT_TMP/table.md"
cat "$NT_TMP/table.md"
[ -n "$TABLE" ] && cp "$NT_TMP/table.md" "$TABLE"
NT_RESULT=pass
exit 0
