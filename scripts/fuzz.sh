#!/bin/sh
# Build the libFuzzer targets (clang, -Dfuzz=true) in build-fuzz, seed a
# corpus from the golden packets and fuzz for a bounded time.
#   scripts/fuzz.sh [seconds]        default 60
# Exits non-zero if the fuzzer finds a crash; the reproducer is left in
# build-fuzz/fuzz-artifacts/.
set -eu

secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
bd="$root/build-fuzz"
target="$bd/tests/fuzz/fuzz_dhcp4"
corpus="$bd/fuzz-corpus/dhcp4"
corpus_csv="$bd/fuzz-corpus/lease_csv"
artifacts="$bd/fuzz-artifacts"

if [ ! -f "$bd/build.ninja" ]; then
	CC=clang meson setup "$bd" "$root" -Dfuzz=true
fi
ninja -C "$bd" tests/fuzz/fuzz_dhcp4 tests/fuzz/fuzz_lease_csv

mkdir -p "$corpus" "$corpus_csv" "$artifacts"
# Seeds: each golden frame as it is, and its DHCP payload on its own (the
# target reads the input both ways).
for f in "$root"/engine/testdata/*.bin; do
	b=$(basename "$f" .bin)
	cp "$f" "$corpus/$b.frame"
	dd if="$f" of="$corpus/$b.payload" bs=1 skip=42 status=none
done
# Lease lines written by real Kea 2.2, one seed each (a sample is enough).
i=0
for f in "$root"/backends/testdata/*.csv; do
	head -40 "$f" | while IFS= read -r line; do
		i=$((i + 1))
		printf '%s' "$line" >"$corpus_csv/$(basename "$f" .csv)-$i"
	done
done

# Two thirds of the time for the packet parsers, a third for lease lines.
# -rss_limit_mb keeps a runaway input from eating the shared machine.
run() {
	"$1" -max_total_time="$2" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$artifacts/" -print_final_stats=1 "$3"
}
run "$target" $((secs * 2 / 3 + 1)) "$corpus"
run "$bd/tests/fuzz/fuzz_lease_csv" $((secs / 3 + 1)) "$corpus_csv"
