#!/bin/bash
# CI smoke run of the benchmark driver (seconds): bench/compare.sh --smoke
# starts peregrine in memory mode in a namespace pair and drives one short
# relayed DORA step with peregrine-bench.  The run must report a parsable
# row with leases served and no address granted to two clients at once.
# Usage: bench_smoke.sh BUILDDIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
OUT=$(mktemp /tmp/bench_smoke.XXXXXX) || exit 1
trap 'rm -f "$OUT"' EXIT
timeout 60 "$SRC/bench/compare.sh" --smoke --json "$OUT" "$1"
rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || { echo "FAIL: compare.sh --smoke exit $rc"; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == 1, rows
r = rows[0]
assert r["server"] == "peregrine" and r["generator"] == "bench", r
assert r["duplicates"] == 0, "duplicates: %s" % r
# served at all; whether the step met the pass mark is speed, not checked
assert r["answered_per_s"] > 0, "nothing answered: %s" % r
print("bench smoke OK:", r)
PY
