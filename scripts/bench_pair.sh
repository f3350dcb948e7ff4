#!/usr/bin/env bash
# Side by side: the fast path (bench/fastpath, in-process, 1 worker, memory
# mode, 1M DORAs of 1M clients) of two builds, run alternately so both see
# the same machine, and the callgrind instruction count of each.  Prints
# each pair, the median of each build, and the median of the pair ratios
# (after ÷ before).
#
#   scripts/bench_pair.sh BEFORE_BUILDDIR AFTER_BUILDDIR [PAIRS]   (default 7)
set -u
B=${1:?before build dir}
A=${2:?after build dir}
PAIRS=${3:-7}
OUT=$(mktemp -d /tmp/pgpair.XXXXXX)
trap 'rm -rf "$OUT" /var/run/dpdk/pgfast-*' EXIT

rate() {   # BUILD: worker-core DORA/s of one run
	timeout 120 "$1/bench/fastpath" --quiet --count 1000000 2>/dev/null |
		awk '/worker-core/ { for (i = 1; i <= NF; i++) if ($i == "worker-core") print $(i + 1) }'
}

ir() {     # BUILD: instructions per DORA in dp_worker_main (20k DORAs)
	command -v valgrind >/dev/null || { echo "-"; return; }
	timeout 600 valgrind --tool=callgrind --callgrind-out-file="$OUT/cg" \
		--toggle-collect=dp_worker_main "$1/bench/fastpath" --clients 20000 --count 20000 \
		--quiet --timeout 60000 >"$OUT/cg.log" 2>&1
	awk '/Collected :/ { printf "%.0f\n", $NF / 20000 }' "$OUT/cg.log"
}

echo "instructions per DORA: before $(ir "$B"), after $(ir "$A")"
: >"$OUT/pairs"
for i in $(seq 1 "$PAIRS"); do
	b=$(rate "$B")
	a=$(rate "$A")
	echo "pair $i: before ${b:-0} after ${a:-0} DORA/s per worker core"
	echo "${b:-0} ${a:-0}" >>"$OUT/pairs"
done
awk '{ b[NR] = $1; a[NR] = $2; r[NR] = ($1 > 0 ? $2 / $1 : 0) }
     function med(x, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
	return x[int((n + 1) / 2)]
     }
     END { printf "median before %d, after %d DORA/s per worker core; median pair ratio %.3f\n",
	   med(b, NR), med(a, NR), med(r, NR) }' "$OUT/pairs"
