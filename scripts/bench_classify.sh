#!/bin/bash
# Issue 4's benchmark: the fast-path cost of 20 client classes and 1,000
# host reservations.  The same bench/fastpath run twice, side by side:
# plain, and with a config fragment holding 20 class expressions (every one
# evaluated per packet) and 1,000 hw-address reservations for generator
# clients 0..999 (0.1% of the clients hit one; every packet pays a lookup).
# Reports instructions per DORA (callgrind, does not move with noise) and
# the median of RUNS worker-core rates, and their ratios (of the medians,
# and the median of each side-by-side pair's ratio).
#
#   scripts/bench_classify.sh BUILDDIR [RUNS] [SHAPE]
#
# SHAPE "shared" (default): the tests read option 60, the first two bytes of
# pkt4.mac and giaddr, values many clients share, so the per-worker
# classification cache answers nearly every packet.  SHAPE "per-client":
# the tests read the whole pkt4.mac, every client is a key of its own, the
# cache steps aside and every test is evaluated per packet (the worst case).
set -u
B=$(cd "${1:-build}" && pwd) || exit 1
RUNS=${2:-3}
SHAPE=${3:-shared}
case $SHAPE in
shared) MACTEST='substring(pkt4.mac, 0, 2) == 0x02%02x' ;;
per-client) MACTEST='pkt4.mac == 0x02ff000000%02x' ;;
*) echo "SHAPE: shared or per-client"; exit 1 ;;
esac
FP="$B/bench/fastpath"
[ -x "$FP" ] || { echo "no $FP"; exit 1; }
OUT=$(mktemp -d /tmp/pgcls.XXXXXX)
trap 'rm -rf "$OUT" /var/run/dpdk/pgfast-*' EXIT

# bench/gen.c names client ci 02:07:<ci, 4 bytes big endian>; fastpath's
# pool starts at 10.0.0.10, so 10.1.x.y is inside it (reserved in-pool
# addresses are held back from everyone else).
{
	echo 'client-classes = ('
	for i in $(seq 1 20); do
		sep=,; [ "$i" = 20 ] && sep=
		if [ "$i" -le 2 ]; then
			printf '  { name = "c%d"; test = "option[60].exists and option[60].text == '"'"'vendor-%d'"'"'"; }%s\n' "$i" "$i" "$sep"
		else
			printf '  { name = "c%d"; test = "member('"'"'c%d'"'"') or '"$MACTEST"' or pkt4.giaddr == 192.0.2.%d"; }%s\n' "$i" $((i - 1)) $((i + 16)) "$i" "$sep"
		fi
	done
	echo ');'
	echo 'reservations = ('
	for ci in $(seq 0 999); do
		sep=,; [ "$ci" = 999 ] && sep=
		printf '  { hw-address = "02:07:00:00:%02x:%02x"; ip-address = "10.1.%d.%d"; }%s\n' \
			$((ci >> 8)) $((ci & 255)) $((ci >> 8)) $((ci & 255)) "$sep"
	done
	echo ');'
} >"$OUT/extra.conf"

ir() {   # [ARGS...]: instructions per DORA in dp_worker_main, 20k DORAs
	timeout 600 valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" \
		--toggle-collect=dp_worker_main "$FP" --clients 20000 --count 20000 --quiet \
		--timeout 60000 "$@" >"$OUT/cg.log" 2>&1 || { echo 0; return; }
	awk '/Collected :/ { print int($NF / 20000) }' "$OUT/cg.log"
}
rate() {   # [ARGS...]: worker-core DORA/s of one run
	timeout 120 "$FP" --quiet --count 1000000 "$@" 2>/dev/null |
		awk '/worker-core/ { for (i = 1; i <= NF; i++) if ($i == "worker-core") print $(i + 1) }'
}

echo "config fragment ($SHAPE): $(grep -c 'name = "c' "$OUT/extra.conf") classes, $(grep -c hw-address "$OUT/extra.conf") reservations"
"$FP" --quiet --count 1000 --extra-conf "$OUT/extra.conf" >/dev/null 2>"$OUT/check.log" ||
	{ echo "fastpath refused the fragment:"; cat "$OUT/check.log"; exit 1; }
if command -v valgrind >/dev/null; then
	IR0=$(ir)
	IR1=$(ir --extra-conf "$OUT/extra.conf")
	echo "instructions per DORA: plain $IR0, with classes+reservations $IR1 (ratio $(awk -v a="$IR0" -v b="$IR1" 'BEGIN { printf "%.3f", a / b }'))"
fi
# interleave the two variants so drift on the shared box hits both alike;
# each pair (plain, then with) also gives a ratio of its own
A=() C=() R=()
for i in $(seq 1 "$RUNS"); do
	a=$(rate) c=$(rate --extra-conf "$OUT/extra.conf")
	A+=("$a") C+=("$c")
	R+=("$(awk -v a="$a" -v c="$c" 'BEGIN { printf "%.3f", (a > 0 ? c / a : 0) }')")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
M0=$(med "${A[@]}") M1=$(med "${C[@]}")
echo "worker-core DORA/s, median of $RUNS: plain $M0 (${A[*]}), with classes+reservations $M1 (${C[*]})"
echo "rate with ÷ without: $(awk -v a="$M0" -v b="$M1" 'BEGIN { printf "%.3f", b / a }') (ratio of the medians; target >= 0.9)"
echo "median of the $RUNS side-by-side pair ratios: $(med "${R[@]}") (${R[*]})"
