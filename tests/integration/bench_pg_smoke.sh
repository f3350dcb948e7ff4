#!/bin/bash
# CI smoke run of bench/compare_pg.sh (seconds): one PostgreSQL with Kea's
# schema, Peregrine's postgresql backend in commit mode under
# peregrine-bench, then its redis backend (a local redis-server), then
# kea-dhcp4 on the PostgreSQL database (one thread), one short relayed
# DORA step each.  Every row must report leases served (whether the step
# met the rate search's pass mark is speed, not checked here) and no
# address granted to two clients at once; Peregrine's rows must have
# committed to their store.
# Usage: bench_pg_smoke.sh BUILDDIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
OUT=$(mktemp /tmp/bench_pg_smoke.XXXXXX) || exit 1
trap 'rm -f "$OUT"' EXIT
timeout 150 "$SRC/bench/compare_pg.sh" --smoke --json "$OUT" "$1"
rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || { echo "FAIL: compare_pg.sh --smoke exit $rc"; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert rows and rows[0]["server"] == "peregrine" and rows[0]["mode"] == "pg-commit", rows
assert rows[0]["commits"] > 0, "no transaction committed: %s" % rows[0]
rd = [r for r in rows if r["mode"] == "redis-commit"]
assert rd and rd[0]["commits"] > 0, "no redis sync committed: %s" % rows
for r in rows:
    assert r["generator"] == "bench", r
    assert r["duplicates"] == 0, "duplicates: %s" % r
    # leases served, not a rate: the step's pass mark (under 1% drops) is
    # a speed judgement that a loaded CI machine may miss
    assert r["acks"] > 0, "no lease served: %s" % r
print("bench pg smoke OK:", rows)
PY
