#!/bin/bash
# CI smoke run of bench/compare_pg.sh (seconds): one PostgreSQL with Kea's
# schema, Peregrine's postgresql backend in commit mode under
# peregrine-bench, then kea-dhcp4 on the same database (one thread), one
# short relayed DORA step each.  Every row must report leases served and
# no address granted to two clients at once; Peregrine's row must have
# committed to the database.
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
for r in rows:
    assert r["generator"] == "bench", r
    assert r["duplicates"] == 0, "duplicates: %s" % r
    assert r["max_dora_per_s"] > 0, "no step passed: %s" % r
print("bench pg smoke OK:", rows)
PY
