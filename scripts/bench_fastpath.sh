#!/bin/bash
# The fast-path measurements of BENCHMARKS.md, in one go (bench/fastpath):
# instructions per DORA (callgrind), DORA/s per worker core with 1 and 2
# workers (hugepages and not), memory per lease at 1M and 10M leases, the
# rate at 1% and 99% pool utilisation, and the 1M-lease memfile start-up.
# Every run is bounded (--count, --duration, timeout).  Root is needed only
# for hugepages: they are reserved and mounted here and released on exit.
#
#   scripts/bench_fastpath.sh BUILDDIR [RUNS]   (RUNS per rate, default 3: medians)
set -u
B=$(cd "${1:-build}" && pwd) || exit 1
RUNS=${2:-3}
FP="$B/bench/fastpath"
[ -x "$FP" ] || { echo "no $FP"; exit 1; }
OUT=$(mktemp -d /tmp/pgfp.XXXXXX)
HUGE_OLD="" HUGE_MNT=""
cleanup() {
	[ -n "$HUGE_MNT" ] && umount "$HUGE_MNT" 2>/dev/null && rmdir "$HUGE_MNT"
	[ -n "$HUGE_OLD" ] && echo "$HUGE_OLD" >/proc/sys/vm/nr_hugepages
	rm -rf "$OUT"
	# fastpath names its EAL runtime dir pgfast-<pid>; EAL leaves it behind
	rm -rf /var/run/dpdk/pgfast-*
}
trap cleanup EXIT
HUGE=0
if [ "$(id -u)" = 0 ]; then
	HUGE_OLD=$(cat /proc/sys/vm/nr_hugepages)
	echo 512 >/proc/sys/vm/nr_hugepages
	HUGE_MNT=$(mktemp -d /tmp/pgfp-huge.XXXXXX)
	mount -t hugetlbfs nodev "$HUGE_MNT" && HUGE=1
fi

# median of RUNS runs of the worker-core rate (field "worker-core N")
median() {   # LABEL ARGS...
	local label=$1 i v vals=()
	shift
	for i in $(seq 1 "$RUNS"); do
		v=$(timeout 120 "$FP" --quiet --label "$label" --json "$OUT/all.json" "$@" 2>/dev/null |
			awk '/worker-core/ { for (i = 1; i <= NF; i++) if ($i == "worker-core") print $(i + 1) }')
		vals+=("${v:-0}")
	done
	printf '%s\n' "${vals[@]}" | sort -n | awk -v l="$label" '
		{ v[NR] = $1 } END { printf "%-40s median %8d DORA/s per worker core  (runs: ", l, v[int((NR + 1) / 2)];
		for (i = 1; i <= NR; i++) printf "%s%d", (i > 1 ? " " : ""), v[i]; print ")" }'
}

echo "== instructions per DORA (callgrind, 20000 DORAs, 1 worker, inline) =="
if command -v valgrind >/dev/null; then
	timeout 600 valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" \
		--toggle-collect=dp_worker_main "$FP" --clients 20000 --count 20000 --quiet \
		--timeout 60000 >"$OUT/cg.log" 2>&1
	IR=$(awk '/Collected :/ { print $NF }' "$OUT/cg.log")
	echo "Ir in dp_worker_main: $IR = $((IR / 20000)) per DORA"
	callgrind_annotate "$OUT/cg.out" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,18p' |
		sed 's|/work/main/build[^ ]*/\.\./||; s| \[.*\]||'
fi

echo "== DORA/s per worker core (1M DORAs, 1M clients, pool 2^21) =="
median "dora 1 worker no-huge" --count 1000000
[ "$HUGE" = 1 ] && median "dora 1 worker huge" --huge --count 1000000
median "dora 2 workers no-huge (steering)" --workers 2 --count 1000000
[ "$HUGE" = 1 ] && median "dora 2 workers huge (steering)" --workers 2 --huge --count 1000000
echo "-- threaded: generator + workers on lcores (2 cores), worker thread CPU time --"
timeout 120 "$FP" --threads --quiet --count 1000000 $([ "$HUGE" = 1 ] && echo --huge)
timeout 120 "$FP" --threads --quiet --workers 2 --count 1000000 $([ "$HUGE" = 1 ] && echo --huge)

echo "== pool utilisation: churn (RELEASE one bound client + DORA a new one), pool 2^20 =="
median "churn at 1% utilisation" --scenario churn --pool-size 1048576 --clients 1300000 \
	--warmup 10486 --count 200000
median "churn at 99% utilisation" --scenario churn --pool-size 1048576 --clients 1300000 \
	--warmup 1038090 --count 200000

echo "== memory per active lease =="
timeout 300 "$FP" --quiet --pool-size 1048576 --clients 1000000 --warmup 1000000 --count 1 --memory |
	grep -E "memory"
timeout 600 "$FP" --quiet --pool-size 10485760 --clients 10000000 --warmup 10000000 --count 100000 \
	--memory --label "dora at 10M leases" $([ "$HUGE" = 1 ] && echo --huge) | grep -E "memory|DORA"

echo "== start-up: 1M-lease Kea memfile =="
timeout 300 "$FP" --startup 1000000 2>&1 | grep start-up
