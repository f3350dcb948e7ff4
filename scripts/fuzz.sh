#!/bin/sh
# Build the libFuzzer targets (clang, -Dfuzz=true) in build-fuzz, seed the
# corpora (golden packets v4 and v6, Kea v4 and v6 lease lines, class
# expressions)
# and fuzz for a bounded time, split between the targets.
#   scripts/fuzz.sh [seconds]        default 60
# Exits non-zero if the fuzzer finds a crash; the reproducer is left in
# build-fuzz/fuzz-artifacts/.
set -eu

secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
# FUZZ_BUILD_DIR lets an engineer fuzz from a private build directory.
bd=${FUZZ_BUILD_DIR:-"$root/build-fuzz"}
target="$bd/tests/fuzz/fuzz_dhcp4"
corpus="$bd/fuzz-corpus/dhcp4"
corpus6="$bd/fuzz-corpus/dhcp6"
corpus_csv="$bd/fuzz-corpus/lease_csv"
corpus_csv6="$bd/fuzz-corpus/lease6_csv"
corpus_cls="$bd/fuzz-corpus/cls"
artifacts="$bd/fuzz-artifacts"

if [ ! -f "$bd/build.ninja" ]; then
	CC=clang meson setup "$bd" "$root" -Dfuzz=true
fi
ninja -C "$bd" tests/fuzz/fuzz_dhcp4 tests/fuzz/fuzz_dhcp6 tests/fuzz/fuzz_lease_csv \
	tests/fuzz/fuzz_lease6_csv tests/fuzz/fuzz_cls

mkdir -p "$corpus" "$corpus6" "$corpus_csv" "$corpus_csv6" "$corpus_cls" "$artifacts"
# Seeds: each golden frame as it is, and its DHCP payload on its own (the
# target reads the input both ways).
for f in "$root"/wire/testdata/*.bin; do
	b=$(basename "$f" .bin)
	cp "$f" "$corpus/$b.frame"
	dd if="$f" of="$corpus/$b.payload" bs=1 skip=42 status=none
done
# The same for the v6 frames (payload after 62 bytes when there are no
# extension headers), and the malformed payloads as they are.
for f in "$root"/wire/testdata/v6/*.bin; do
	b=$(basename "$f" .bin)
	cp "$f" "$corpus6/$b.frame"
	dd if="$f" of="$corpus6/$b.payload" bs=1 skip=62 status=none
done
cp "$root"/wire/testdata/malformed6/*.bin "$corpus6/"
# Lease lines written by real Kea 2.2, one seed each (a sample is enough),
# v4 lines for the v4 parser and v6 lines for the v6 one.
seed_lines() {
	dir=$1
	shift
	for f in "$@"; do
		i=0
		head -40 "$f" | while IFS= read -r line; do
			i=$((i + 1))
			printf '%s' "$line" >"$dir/$(basename "$f" .csv)-$i"
		done
	done
}
seed_lines "$corpus_csv" "$root"/backends/testdata/kea22-leases4*.csv
seed_lines "$corpus_csv6" "$root"/backends/testdata/kea22-leases6*.csv

# Class expressions: the first byte picks the mode (0 boolean test, 1
# string result; +2 for DHCPv6); the rest is the text.  String seeds are
# the left sides.
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '\000%s' "$line" >"$corpus_cls/seed-$i-bool"
	printf '\001%s' "${line%% == *}" >"$corpus_cls/seed-$i-str"
done <"$root/tests/fuzz/cls_seeds.txt"
# DHCPv6 expressions: mode 2 (boolean) and 3 (string), each as text alone
# and followed by a NUL and a message for the target to build: SOLICIT,
# transid, one relay (link, peer, interface-id "ifA"), two options
# (client-id, vendor-class 4491 "docsis3.0").
msg6='\001\012\013\014\001'
msg6="$msg6"'\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\001'
msg6="$msg6"'\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\002'
msg6="$msg6"'\007\000\022\000\003ifA'
msg6="$msg6"'\002\000\001\000\004duid\000\020\000\017\000\000\021\213\000\011docsis3.0'
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '\002%s' "$line" >"$corpus_cls/seed6-$i-bool"
	printf '\003%s' "${line%% == *}" >"$corpus_cls/seed6-$i-str"
	printf "\\002%s\\000$msg6" "$line" >"$corpus_cls/seed6-$i-bool-msg"
done <"$root/tests/fuzz/cls6_seeds.txt"

# The time is split so the whole run takes `secs`: 2/5 for the packet
# parsers (half each to v4 and v6), 1/10 for each family's lease lines,
# the rest for class expressions (each at least a second).  -rss_limit_mb
# keeps a runaway input from eating the shared machine.
run() {
	bin=$1 t=$2 dir=$3
	shift 3
	"$bin" -max_total_time="$t" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$dir"
}
t_dhcp=$((secs / 5)); [ "$t_dhcp" -ge 1 ] || t_dhcp=1
t_dhcp6=$((secs * 2 / 5 - t_dhcp)); [ "$t_dhcp6" -ge 1 ] || t_dhcp6=1
t_csv=$((secs / 10)); [ "$t_csv" -ge 1 ] || t_csv=1
t_cls=$((secs - t_dhcp - t_dhcp6 - 2 * t_csv)); [ "$t_cls" -ge 1 ] || t_cls=1
run "$target" "$t_dhcp" "$corpus"
run "$bd/tests/fuzz/fuzz_dhcp6" "$t_dhcp6" "$corpus6"
run "$bd/tests/fuzz/fuzz_lease_csv" "$t_csv" "$corpus_csv"
run "$bd/tests/fuzz/fuzz_lease6_csv" "$t_csv" "$corpus_csv6"
run "$bd/tests/fuzz/fuzz_cls" "$t_cls" "$corpus_cls" -dict="$root/tests/fuzz/cls.dict"
