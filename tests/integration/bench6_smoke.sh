#!/bin/bash
# CI smoke run of the DHCPv6 benchmark driver (seconds): bench/compare6.sh
# --smoke drives one 1-second step of 400 relayed SARRs (IA_NA and IA_PD
# each) with peregrine-bench -6 against peregrine in memory mode, then
# against kea-dhcp6 when it is installed.  Each row must have REPLYs (the
# step's pass mark, a rate, is not judged here) and no address or prefix
# granted to two clients at once, none out of its pool, none of another
# length.
# Usage: bench6_smoke.sh BUILDDIR
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
OUT=$(mktemp /tmp/bench6_smoke.XXXXXX) || exit 1
trap 'rm -f "$OUT"' EXIT
timeout 60 "$SRC/bench/compare6.sh" --smoke --json "$OUT" "$1"
rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || { echo "FAIL: compare6.sh --smoke exit $rc"; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
servers = [r["server"] for r in rows]
want = ["peregrine"] + (["kea"] if os.access("/usr/sbin/kea-dhcp6", os.X_OK) else [])
assert servers == want, rows
for r in rows:
    assert r["generator"] == "both", r
    assert r["duplicates"] == 0, "duplicates, out of pool or wrong length: %s" % r
    # served at all; whether the step met the pass mark is speed, not checked
    assert r["answered_per_s"] > 0, "nothing answered: %s" % r
print("bench6 smoke OK:", rows)
PY
