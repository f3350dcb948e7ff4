#!/bin/bash
# shellcheck disable=SC2086,SC2317,SC2034,SC2154 # "set -- $spec" splits on purpose; cl_search calls run_radgen; netns.sh reads NT_RESULT
# RADIUS access under load (issue 17 item 7; BENCHMARKS.md "RADIUS"): the
# maximum DORA/s of Peregrine with under 1% drops, in one run, same
# topology, same generator, for
#
#   plain       no radius block
#   new         radius access, every client a cache miss: each step's
#               clients are fresh (a new --tag per step), so each asks
#               FreeRADIUS once (its DISCOVER; the REQUEST finds the answer
#               the DISCOVER cached)
#   returning   radius access, every client a cache hit: the same
#               --clients set that a warm-up asked about first
#
# and FreeRADIUS's own Access-Request rate in the same run (radclient
# -p 256 and rad_probe -c 256, bench/radius_lib.sh): the ceiling of "new".
#
# The topology of bench/compare.sh (two namespaces, one veth, Peregrine's
# DPDK af_packet port; peregrine-bench relays as 198.18.0.3) with
# FreeRADIUS 3.2 on the server namespace's loopback (scripts/radtest.sh,
# RAD_DEFAULT=accept: Access-Accept with no attributes for everybody).
# User-Name is the client's MAC (identifier-type4 "hw-address").
#
# Every row uses peregrine-bench's churn scenario: each new DORA goes with
# a RELEASE of a bound client, and only clients without a lease start a
# DORA.  So a returning client has its answer cached and no lease: the
# returning row measures the cache hit on the allocation path that the
# plain row takes, not the lease path of a renewal.  plain and returning
# both run the same warm-up (--clients N DORAed once, at WARM_RATE, with
# retries, then released), so their measured steps differ only in the
# access cache lookup.  The server is started afresh for each row (empty
# lease file, empty cache).  The cache holds 65,536 answers per worker
# (cache-max's default), so
# N = 50,000.  The rate search is compare_lib.sh's cl_search (x1.5 steps,
# then bisection); rounds measure every row side by side, the report
# gives medians and the median of per-round ratios.
#
# The stall check, after the rounds: a server with the returning set
# warmed up; FreeRADIUS stopped (SIGSTOP, rad_pause); then for PAUSE
# seconds two generators at once: the cached clients at STALL_FRAC of the
# returning row's median rate and new clients at NEW_RATE/s (under what
# the pending table holds for one RADIUS wait, so they end at their own
# deadline, not by a full table); FreeRADIUS resumed after both ended.
# The same load with FreeRADIUS running comes first, as the baseline of
# two generators polling on two shared cores; TRIALS such pairs.
# Reported: the cached clients' drops (target 0) and what the new clients
# got.
#
#   sudo bench/radius.sh [options] [BUILDDIR]
#     --rounds N      rounds of the three searches (default 3)
#     --step S        seconds per rate step (default 4)
#     --clients N     the returning set (default 50000)
#     --durability D  Peregrine's lease durability (default memory)
#     --pause S       the stall check's length (default 5; 0: skip it)
#     --trials N      stall check pairs (running, then paused), default 3
#     --stall-rate R  the cached clients' rate in the stall check (default
#                     half the returning row's median); with --rounds 0
#                     the stall check alone
#     --json FILE     one JSON line per search (cl_search's)
#     --table FILE    the tables as markdown
#     --smoke         one round, one short step per row, 4000 clients (the
#                     script works, no numbers)
#
# Needs root.  Every process is started through scripts/netns.sh or
# scripts/radtest.sh and stopped by PID; each generator step runs under
# timeout(1); namespaces, DPDK runtime files and FreeRADIUS's temp dir are
# removed on exit, however the script ends.
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=3 STEP=4 N=50000 DURABILITY=memory PAUSE=5 JSON="" TABLE="" SMOKE=0 HUGE=0 ARGS=()
WARM_RATE=4000 STALL_FRAC=0.5 NEW_RATE=300 TRIALS=3 STALL_RATE=""
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--step) STEP=$2; shift ;;
	--clients) N=$2; shift ;;
	--durability) DURABILITY=$2; shift ;;
	--pause) PAUSE=$2; shift ;;
	--trials) TRIALS=$2; shift ;;
	--stall-rate) STALL_RATE=$2; shift ;;
	--json) JSON=$2; shift ;;
	--smoke) SMOKE=1 ROUNDS=1 STEP=2 N=4000 PAUSE=2 TRIALS=1 ;;
	--table) TABLE=$2; shift ;;
	-h | --help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
	*) ARGS+=("$1") ;;
	esac
	shift
done
. "$SRC/scripts/netns.sh"
. "$SRC/bench/compare_lib.sh"
NT_NAME=radius_bench
nt_init "${ARGS[0]:-$SRC/build}" peregrine
nt_need jq freeradius radclient
BENCH="$NT_BUILDDIR/bench/peregrine-bench"
RL_PROBE="$NT_BUILDDIR/radius/rad_probe"
[ -x "$BENCH" ] || nt_skip "no $BENCH (not built)"
[ -x "$RL_PROBE" ] || nt_skip "no $RL_PROBE (not built)"
export RAD_DEFAULT=accept
. "$SRC/scripts/radtest.sh"
. "$SRC/bench/radius_lib.sh"
RL_N=2000 RL_WORK=$NT_TMP    # nt_cleanup removes NT_TMP
trap 'rc=$?; rm -rf /var/run/dpdk/pgbench-$NT_ID /var/run/dpdk/pgbench2-$NT_ID; (exit $rc); nt_cleanup' EXIT

NT_PLEN=15
NT_SUBNET=198.18.0.0/15
NT_POOL="198.18.1.0 - 198.19.255.254"
NT_VALID=86400
NT_DURABILITY=$DURABILITY
GEN_POOL=198.18.1.0-198.19.255.254
RET_TAG=7                # the returning set's chaddr byte; new clients use 100..250
nt_topology
RAD_NETNS=$NT_SRV
rad_start main
rl_requests
[ -n "$JSON" ] && : >"$JSON"

# ---- servers ----------------------------------------------------------------

RADIUS_CONF="radius = {
	identifier-type4 = \"hw-address\";
	timeout = 1; retries = 1; deadtime = 0;
	on-unreachable = \"deny\";
	cache-ttl = 3600;
	access = { servers = ( { name = \"127.0.0.1\"; port = $RAD_AUTH_PORT; secret = \"$RAD_SECRET\"; } ); };
};"

# rb_server MODE: Peregrine with (new, returning) or without (plain) the
# radius block, started on an empty lease file.
rb_server() {
	rm -f "$NT_LEASES" "$NT_LEASES".*
	NT_EXTRA_CONF=""
	[ "$1" = plain ] || NT_EXTRA_CONF=$RADIUS_CONF
	nt_server_conf
	cl_peregrine_tune
	nt_server_check
	nt_server_start
}

# rb_gen PREFIX TAG CLIENTS RATE SECONDS JSON [ARGS...]: peregrine-bench,
# churn, relayed, bounded; its JSON report in JSON (or none).
rb_gen_args() {
	RB_GEN=("$BENCH" --vdev "net_af_packet0,iface=$NT_VC" --no-huge --mem 256 --lcores "0@(0,1)"
		--file-prefix "$1-$NT_ID" --relay 198.18.0.3 --server "$NT_SERVER_IP" --scenario churn
		--tag "$2" --clients "$3" --rate "$4" --duration "$5" --outstanding 1000000
		--pool "$GEN_POOL" --quiet --json "$6" "${@:7}")
}
rb_gen() {
	rb_gen_args "$@"
	rm -f "$6"
	NT_STEP=$(($5 + 30)) nt_cli "${RB_GEN[@]}" >>"$NT_TMP/gen.log" 2>&1
}

# rb_summary JSON: "acks_per_s drop_pct p99_us wrong" of one report.
rb_summary() {
	[ -s "$1" ] || { echo "0 100 0 0"; return; }
	jq -r '"\(.leases_per_s | floor) \(.drop_pct) \(.latency_us.p99 | floor) \(.duplicates + .out_of_pool)"' "$1"
}

# rb_warm: the returning set (RET_TAG, N clients) DORAed once each, slowly
# and with retries, then released (churn); fails unless all N were served.
rb_warm() {
	local j="$NT_TMP/warm.json" ok
	rb_gen pgbench "$RET_TAG" "$N" "$WARM_RATE" $((N / WARM_RATE + 20)) "$j" \
		--count "$N" --timeout 2000 --retries 3
	ok=$(jq -r '.dora_done' "$j" 2>/dev/null)
	[ "${ok:-0}" -ge $((N * 99 / 100)) ] || nt_fail "warm-up: ${ok:-no} DORA of $N clients done"
	nt_log "  warm-up: $ok of $N clients asked and cached ($(jq -r '.bound' "$j") still bound)"
}

# rb_next_tag: a chaddr byte no client of this server used yet (kept in a
# file: cl_search runs the generator in a subshell).
rb_next_tag() {
	local t
	t=$(cat "$NT_TMP/tag" 2>/dev/null || echo 99)
	t=$((t >= 250 ? 100 : t + 1))
	echo "$t" >"$NT_TMP/tag"
	echo "$t"
}

# rb_stats NAME: the server's counters now, into $NT_TMP/stats.NAME.
rb_stats() { nt_server_stats "$NT_TMP/stats.$1"; }
rb_stat() { nt_stat "$2" "$NT_TMP/stats.$1"; }

# cl_search's hooks: srv_start MODE, run_radgen RATE SECONDS, srv_stop.
srv_start() {
	RB_MODE=$2
	rb_server "$2"
	[ "$2" = new ] || rb_warm
	rb_stats before
}
run_radgen() {
	local tag=$RET_TAG clients=$N
	if [ "$RB_MODE" = new ]; then
		# fresh clients every step: none was asked about before
		tag=$(rb_next_tag) clients=$(($1 * $2 + 1000))
	fi
	rb_gen pgbench "$tag" "$clients" "$1" "$2" "$NT_TMP/gen.json" --timeout 1000 --retries 0
	rb_summary "$NT_TMP/gen.json"
}
srv_stop() {
	local k
	rb_stats after
	RB_ASKED=$(($(rb_stat after access-asked) - $(rb_stat before access-asked)))
	RB_HITS=$(($(rb_stat after access-cache-hits) - $(rb_stat before access-cache-hits)))
	for k in dp-drop-ask-full dp-drop-ask-timeout; do
		[ "$(rb_stat after $k)" = 0 ] || nt_log "  $RB_MODE: $k $(rb_stat after $k)"
	done
	nt_log "  $RB_MODE: measured steps asked RADIUS $RB_ASKED times, cache hits $RB_HITS"
	nt_server_stop >/dev/null 2>&1
	rm -rf "/var/run/dpdk/$NT_DPDK_PREFIX"
}

# ---- FreeRADIUS's own rate ------------------------------------------------

# rb_ceiling: one radclient -p 256 and one rad_probe -c 256 run (requests/s)
# into CEIL_RC / CEIL_PROBE.
CEIL_RC=() CEIL_PROBE=()
rb_ceiling() {
	local rc pr
	# a run with a lost request (radclient gives up after 3 tries) has no
	# rate: said, not counted
	rc=$(rl_radclient 256 1) && [ -n "$rc" ] && CEIL_RC+=("$rc")
	pr=$(rl_probe 10000 256) && [ -n "$pr" ] && CEIL_PROBE+=("$pr")
	nt_log "round $1: FreeRADIUS: radclient -p 256 ${rc:-lost requests}/s, rad_probe -c 256 ${pr:-failed}/s"
}

# ---- the rounds -------------------------------------------------------------

SPECS=("peregrine plain 20000" "peregrine new 4000" "peregrine returning 20000")
ASKS=()
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date -u '+%Y-%m-%d %H:%M')
for r in $(seq 1 "$ROUNDS"); do
	CL_ROUND=$r
	rb_ceiling "$r"
	for s in "${SPECS[@]}"; do
		set -- $s
		cl_search "$1" "$2" radgen "$3"
		ASKS+=("$2|$RB_ASKED|$RB_HITS")
		nt_log "round $r: $2: ${ROWS[-1]}"
	done
done

# ---- the stall check --------------------------------------------------------

# rb_delta LABEL STAT: how much STAT grew during stall check LABEL.
rb_delta() { echo $(($(rb_stat "s1-$1" "$2") - $(rb_stat "s0-$1" "$2"))); }

# rb_stall LABEL PAUSED: the two loads at once for PAUSE s; with PAUSED=1
# FreeRADIUS is stopped for them.  Appends a table row to ST_ROWS.
ST_ROWS=()
rb_stall() {
	local label=$1 paused=$2 jc="$NT_TMP/stall-cached.json" jn="$NT_TMP/stall-new.json" pc pn
	local cs cn tag row
	tag=$(rb_next_tag)
	rm -f "$jc" "$jn"
	rb_stats "s0-$label"
	[ "$paused" = 1 ] && rad_pause
	rb_gen_args pgbench "$RET_TAG" "$N" "$STALL_RATE" "$PAUSE" "$jc" --timeout 1000 --retries 0
	nt_bg "stall-cached-$label" "$NT_CLI" timeout $((PAUSE + 30)) "${RB_GEN[@]}"
	pc=$NT_LAST_PID
	rb_gen_args pgbench2 "$tag" 1000000 "$NEW_RATE" "$PAUSE" "$jn" --timeout 1000 --retries 0
	nt_bg "stall-new-$label" "$NT_CLI" timeout $((PAUSE + 30)) "${RB_GEN[@]}"
	pn=$NT_LAST_PID
	wait "$pc"
	wait "$pn"
	# the new clients' questions end within their RADIUS time (timeout x
	# retries: on-unreachable's verdict; the worker's own deadline is
	# 0.5 s later) whether or not FreeRADIUS is back: let them
	sleep 2
	rb_stats "s1-$label"
	[ "$paused" = 1 ] && rad_resume
	{ [ -s "$jc" ] && [ -s "$jn" ]; } || nt_fail "stall check $label: a generator wrote no report"
	cs=$(jq -r '"\(.dora_started) | \(.dora_done) | \(.drops) | \(.drop_pct) | \(.latency_us.p99 / 100 | floor / 10) ms"' "$jc")
	cn=$(jq -r '"\(.dora_started) | \(.dora_done) | \(.drops)"' "$jn")
	printf -v row '| %s | %s | %s | %s | %s | %s | %s / %s / %s |' "$label" "$STALL_RATE" \
		"$cs" "$NEW_RATE" "$cn" "$(rb_delta "$label" access-asked)" \
		"$(rb_delta "$label" drop-access-rejected)" "$(rb_delta "$label" dp-drop-ask-timeout)" \
		"$(rb_delta "$label" dp-drop-ask-full)"
	ST_ROWS+=("$row")
	nt_log "stall check, FreeRADIUS $label: cached $cs; new $cn"
}

STALL_TABLE=""
if [ "$PAUSE" != 0 ]; then
	if [ -z "$STALL_RATE" ]; then
		RET_MED=$(printf '%s\n' "${ROWS[@]}" | awk -F'|' '$2 == "returning" { print $4 }' | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		STALL_RATE=$(awk -v m="$RET_MED" -v f="$STALL_FRAC" 'BEGIN { printf "%d", m * f }')
	fi
	[ "${STALL_RATE:-0}" -gt 0 ] || nt_fail "no returning rate to load the stall check with"
	RB_MODE=returning
	rb_server returning
	rb_warm
	for t in $(seq 1 "$TRIALS"); do
		rb_stall "running $t" 0
		rb_stall "paused $t" 1
	done
	nt_server_stop >/dev/null 2>&1
	rm -rf "/var/run/dpdk/$NT_DPDK_PREFIX"
	STALL_TABLE="$NT_TMP/stall.md"
	{
		echo "| FreeRADIUS | cached clients: DORA/s offered | started | completed | drops | drop % | p99 | new clients: DORA/s offered | started | completed | drops | Access-Requests asked | DISCOVERs dropped by on-unreachable deny / by the worker's deadline / by a full pending table |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		printf '%s\n' "${ST_ROWS[@]}"
	} >"$STALL_TABLE"
fi

# ---- the report -------------------------------------------------------------

# rb_report_rates: the searches' table, FreeRADIUS's rates, the questions.
rb_report_rates() {
	echo
	echo "| row | max DORA/s (<1% drops), median of $ROUNDS | per round | ÷ plain (median of per-round ratios) | p99 at it | duplicates |"
	echo "|---|---:|---|---:|---:|---:|"
	awk -F'|' '
		{ n[$2]++; i = n[$2]; v[$2, i] = $4; p[$2, i] = $5; w[$2] += $6
		  if (!seen[$2]++) order[++k] = $2 }
		function med(a, m,   i, j, t) {
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		}
		END {
			for (o = 1; o <= k; o++) {
				key = order[o]; m = n[key]; list = ""; nr = 0
				delete a; delete q; delete rr
				for (i = 1; i <= m; i++) {
					a[i] = v[key, i] + 0; q[i] = p[key, i] + 0
					list = list (i > 1 ? ", " : "") v[key, i]
					if (("plain", i) in v && v["plain", i] > 0) rr[++nr] = v[key, i] / v["plain", i]
				}
				printf "| %s | %.0f | %s | %s | %.1f ms | %d |\n", key, med(a, m), list,
					nr ? sprintf("%.2f", med(rr, nr)) : "—", med(q, m) / 1000, w[key]
			}
		}' "$NT_TMP/rows"
	echo "| FreeRADIUS: radclient -p 256 | $(rl_median "${CEIL_RC[@]}") | $(printf '%.0f, ' "${CEIL_RC[@]}" | sed 's/, $//') | Access-Requests/s | | |"
	echo "| FreeRADIUS: rad_probe -c 256 | $(rl_median "${CEIL_PROBE[@]}") | $(printf '%.0f, ' "${CEIL_PROBE[@]}" | sed 's/, $//') | Access-Requests/s | | |"
	echo
	echo "RADIUS questions during the measured steps of each search (server counters access-asked, access-cache-hits):"
	echo
	echo "| row | round | Access-Requests | cache hits |"
	echo "|---|---:|---:|---:|"
	i=0
	for a in "${ASKS[@]}"; do
		IFS='|' read -r m q h <<<"$a"
		echo "| $m | $((i / ${#SPECS[@]} + 1)) | $q | $h |"
		i=$((i + 1))
	done
}


printf '%s\n' "${ROWS[@]}" >"$NT_TMP/rows"
{
	echo "Run of $T0 UTC, $(nproc) cores, load before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg);"
	echo "peregrine $(git -C "$SRC" describe --always --dirty 2>/dev/null), durability $DURABILITY, $N returning clients, step $STEP s."
	[ "$ROUNDS" -gt 0 ] && rb_report_rates
	if [ -n "$STALL_TABLE" ]; then
		echo
		echo "Stall check ($PAUSE s of load; cached clients at $STALL_RATE DORA/s; FreeRADIUS SIGSTOPped for the paused rows):"
		echo
		cat "$STALL_TABLE"
	fi
} >"$NT_TMP/table.md"
cat "$NT_TMP/table.md"
[ -n "$TABLE" ] && cp "$NT_TMP/table.md" "$TABLE"
NT_RESULT=pass
exit 0
