# shellcheck shell=bash
# What bench/compare.sh, bench/compare_pg.sh (DHCPv4) and bench/compare6.sh (DHCPv6) share:
# hugepages for the DPDK processes, the rate search and the writer of a
# generated section of BENCHMARKS.md.  Sourced after scripts/netns.sh and
# nt_init; the caller defines
#
#   srv_start KIND MODE      start the server (empty lease file; for Kea,
#                            cl_kea_start helps)
#   run_GEN RATE SECONDS     one step of generator GEN (run_bench and
#                            run_perfdhcp, DHCPv4, are defined below); prints
#                            "done_per_s drop_pct p99_us wrong_answers"
#
# and reads ROWS ("kind|mode|gen|best|p99_us|wrong|load") after the searches.

CL_HUGE_MNT="" CL_HUGE_OLD=""
CL_RATE_KEY=${CL_RATE_KEY:-max_dora_per_s}   # the rate's name in the JSON rows
CL_UNIT=${CL_UNIT:-ACK/s}
ROWS=()
TAG=1

cl_cleanup() {
	rm -rf "/var/run/dpdk/pgbench-$NT_ID"
	if [ -n "$CL_HUGE_MNT" ]; then
		umount "$CL_HUGE_MNT" 2>/dev/null && rmdir "$CL_HUGE_MNT"
	fi
	[ -n "$CL_HUGE_OLD" ] && echo "$CL_HUGE_OLD" >/proc/sys/vm/nr_hugepages
}

# cl_huge_setup: with HUGE=1 reserve 512 pages and mount hugetlbfs; falls
# back to HUGE=0 when that fails.  cl_cleanup undoes it.
cl_huge_setup() {
	[ "$HUGE" = 1 ] || return 0
	CL_HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
	echo 512 >/proc/sys/vm/nr_hugepages
	CL_HUGE_MNT=$(mktemp -d /tmp/pgb-huge.XXXXXX)
	if ! mount -t hugetlbfs nodev "$CL_HUGE_MNT" ||
		[ "$(cat /proc/sys/vm/nr_hugepages)" -lt 256 ]; then
		nt_log "hugepages unavailable: running with --no-huge"
		HUGE=0
	fi
}

cl_load() { cut -d' ' -f1 /proc/loadavg; }

# cl_kea_start NAME BINARY: Kea on $NT_CONF in the server namespace; waits
# for its control socket $NT_KEA_SOCK (it logs DHCPx_STARTED at INFO only,
# and the comparisons log at WARN).  Sets NT_SRV_PID.
cl_kea_start() {
	rm -f "$NT_KEA_SOCK"
	nt_bg "$1" "$NT_SRV" env KEA_PIDFILE_DIR="$NT_TMP" KEA_LOCKFILE_DIR="$NT_TMP" "$2" -c "$NT_CONF"
	NT_SRV_PID=$NT_LAST_PID
	nt_wait_for 30 "$(basename "$2") control socket" test -S "$NT_KEA_SOCK"
	sleep 1
}

# cl_peregrine_tune: $NT_CONF (from nt_peregrine_conf) as the comparisons
# run Peregrine: lcores not pinned (on a shared 2-core box a pinned worker
# cannot move away from a busy neighbour, Kea can: both float, so both are
# treated alike), hugepages with HUGE=1, warnings only in the log.
cl_peregrine_tune() {
	sed -i 's/^\tlcores = .*/\tlcores = "0@(0,1),1@(0,1)";/' "$NT_CONF"
	[ "$HUGE" = 1 ] && sed -i 's/no-huge = true;/no-huge = false;/' "$NT_CONF"
	echo 'logging = { severity = "WARN"; };' >>"$NT_CONF"
}

srv_stop() {
	nt_stop "$NT_SRV_PID" 20 >/dev/null 2>&1
	rm -rf "/var/run/dpdk/$NT_DPDK_PREFIX"
}

# cl_search KIND MODE GEN START: the maximum rate with under 1% drops the
# way ISC measures Kea: offer a rate for $STEP seconds, raise it x1.5 until
# the drops pass 1% or the answered rate falls under 90% of the offered one,
# then bisect between the last pass and the first failure (twice at most).
# With SMOKE=1 one step.  Appends to ROWS and, with JSON set, to $JSON
# (with CL_ROUND, the round the row belongs to, and "answered_per_s", the
# most any step got answered, passed or not: the smoke tests check that
# the path serves at all, not a rate).
cl_search() {
	local kind=$1 mode=$2 gen=$3 rate=$4 best=0 best_p99=0 lo=0 hi=0 i res wrong=0 most=0
	local a d p u load
	TAG=$((TAG + 1))
	load=$(cl_load)
	srv_start "$kind" "$mode"
	for i in $(seq 1 14); do
		res=$("run_$gen" "$rate" "$STEP")
		read -r a d p u <<<"$res"
		wrong=$((wrong + u))
		[ "${a%.*}" -gt "$most" ] 2>/dev/null && most=${a%.*}
		if awk -v a="$a" -v d="$d" -v r="$rate" 'BEGIN { exit !(d < 1 && a >= 0.9 * r) }'; then
			nt_log "  $kind $mode $gen: $rate/s offered -> $a $CL_UNIT, drops $d%, p99 ${p}us: pass"
			if [ "$a" -gt "$best" ]; then best=$a; best_p99=$p; fi
			lo=$rate
		else
			nt_log "  $kind $mode $gen: $rate/s offered -> $a $CL_UNIT, drops $d%, p99 ${p}us: fail"
			hi=$rate
		fi
		[ "$SMOKE" = 1 ] && break
		if [ "$hi" = 0 ]; then
			rate=$((rate * 3 / 2))
		else
			[ $((hi - lo)) -le $((hi / 8)) ] && break
			rate=$(((lo + hi) / 2))
		fi
	done
	srv_stop
	ROWS+=("$kind|$mode|$gen|$best|$best_p99|$wrong|$load")
	[ -n "$JSON" ] && printf '{"server": "%s", "mode": "%s", "generator": "%s", "%s": %s, "answered_per_s": %s, "p99_us": %s, "duplicates": %s, "load": %s, "round": %s}\n' \
		"$kind" "$mode" "$gen" "$CL_RATE_KEY" "$best" "$most" "$best_p99" "$wrong" "$load" "${CL_ROUND:-1}" >>"$JSON"
}

# cl_write_section FILE MARKER SECTION: replace the text from
# "<!-- MARKER:begin" to "<!-- MARKER:end -->" in FILE by the file SECTION
# (which carries both markers), or append it when FILE has none.
cl_write_section() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
path, marker, sec = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
try:
    text = open(path).read()
except FileNotFoundError:
    text = ""
pat = re.compile(r"<!-- %s:begin.*?<!-- %s:end -->" % (re.escape(marker), re.escape(marker)), re.S)
text = pat.sub(lambda m: sec, text) if pat.search(text) else text + "\n" + sec + "\n"
open(path, "w").write(text)
EOF
}

# The DHCPv4 generators of compare.sh and compare_pg.sh (compare6.sh has
# its own): each runs one step of RATE for SECONDS against $NT_SERVER_IP
# and prints "achieved_acks_per_s drop_pct p99_us duplicates".  BENCH,
# PERFDHCP, CLIENTS and HUGE come from the caller; cl_before_step (a no-op
# unless the caller redefines it) runs before each peregrine-bench step.
cl_before_step() { :; }

run_bench() {   # RATE SECONDS
	local out="$NT_TMP/bench.json" huge=()
	[ "$HUGE" = 1 ] || huge=(--no-huge)
	rm -f "$out"
	cl_before_step
	NT_STEP=$(($2 + 20)) nt_cli "$BENCH" --vdev "net_af_packet0,iface=$NT_VC" \
		"${huge[@]}" --mem 256 --lcores "0@(0,1)" --file-prefix "pgbench-$NT_ID" \
		--relay 198.18.0.3 --server "$NT_SERVER_IP" --rate "$1" --duration "$2" \
		--outstanding 1000000 --clients "$CLIENTS" --tag "$TAG" --timeout 1000 \
		--retries 0 --pool 198.18.1.0-198.19.255.254 --quiet --json "$out" \
		>>"$NT_TMP/bench.log" 2>&1
	[ -s "$out" ] || { echo "0 100 0 0"; return; }
	/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print("%.0f %.3f %.0f %d" % (r["leases_per_s"], r["drop_pct"], r["latency_us"]["p99"], r["duplicates"] + r["out_of_pool"]))' "$out"
}

run_perfdhcp() {   # RATE SECONDS
	local out="$NT_TMP/perfdhcp.out"
	NT_STEP=$(($2 + 20)) nt_cli "$PERFDHCP" -4 -l "$NT_VC" -r "$1" -p "$2" \
		-R "$CLIENTS" -s "$TAG" >"$out" 2>&1
	awk -v secs="$2" '
		/^sent packets:/ { s[++ns] = $3 }
		/^received packets:/ { r[++nr] = $3 }
		/^max delay:/ { d = $3 }
		END {
			sent = s[1] + s[2]; lost = (s[1] - r[1]) + (s[2] - r[2])
			printf "%.0f %.3f %.0f 0\n", r[2] / secs, sent ? 100 * lost / sent : 100, d * 1000
		}' "$out"
}
